// How long the renderer waits for each request before it tells the person something is
// wrong. Requests that talk to a device (identify, read diagnostics, open a case with a
// snapshot) can take several seconds on a slow board; everything else is local and fast.
import type { RequestChannel } from '../../src-main/api/contract';
import { ApiRequestError } from './api-request-error';

export const DEFAULT_DEADLINE_MS = 30_000;
export const DEVICE_DEADLINE_MS = 60_000;

const deviceChannels: ReadonlySet<RequestChannel> = new Set<RequestChannel>([
  'diagnostics.read',
  'devices.identify',
  'devices.attachVirtual',
  // A tray of up to 16 virtual devices, each started and identified.
  'devices.attachVirtualMany',
  'devices.addPort',
  // DETACH, the re-enumeration and reading the bootloader's descriptors.
  'devices.enterDfu',
  // Connecting to a BLE device and turning its notifications on.
  'ble.follow',
  'cases.open',
  // Checks the recipe's image once (hash, signature, slot size) before answering.
  'station.load',
  // Waits for a running unit to reach a safe point.
  'station.abort',
]);

export type DeadlineFor = (channel: RequestChannel) => number;

export const defaultDeadlineFor: DeadlineFor = (channel) =>
  deviceChannels.has(channel) ? DEVICE_DEADLINE_MS : DEFAULT_DEADLINE_MS;

export function deadlineError(channel: string, ms: number): ApiRequestError {
  return new ApiRequestError(
    {
      code: 'timeout',
      message: `Fieldbench did not answer within ${formatSeconds(ms)}`,
      step: channel,
      hint: 'Try again; if it keeps happening, check that the device is connected and that Fieldbench is still running.',
    },
    channel,
  );
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Reject with a 'timeout' ApiRequestError when `work` has not settled within `ms`. */
export function withDeadline<T>(work: Promise<T>, channel: string, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(deadlineError(channel, ms)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
