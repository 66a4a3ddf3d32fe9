// How a console names what it makes: the capture (which is also the session's id), the
// device as a person reads it in messages and exports, and the files a capture becomes.
import { randomBytes } from 'node:crypto';
import type { CaptureFormat } from '../../api/console-schemas';
import type { Device } from '../../api/schemas';

/** The serial numbers a device is known by: its own (from its identity) and its USB adapter's. */
export function serialNumbersOf(device: Device): string[] {
  const numbers = [device.identity?.serialNumber, device.usb?.serialNumber].filter((n): n is string => typeof n === 'string' && n.trim() !== '');
  return [...new Set(numbers)];
}

/** "Sensor Node SN-0042 on /dev/ttyACM0", or the port alone when nothing more is known. */
export function deviceName(device: Device): string {
  const serial = serialNumbersOf(device)[0];
  const what = [device.profileName, serial].filter(Boolean).join(' ');
  return what ? `${what} on ${device.path}` : device.path;
}

/** 20261127-113800: a start time that sorts and fits in a file name (UTC). */
function compactTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
}

/** Letters, digits, '.', '_' and '-' only, at most `max` characters: safe in a capture id and a file name. */
function slug(text: string, max: number): string {
  const cleaned = text.replace(/^\/dev\//, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+|-+$/g, '');
  return cleaned.slice(0, max) || 'device';
}

/** "SN-0042-20261127-113800-3f9a": the device, the start and a few random characters, so two in a second differ. */
export function newCaptureId(device: Device, startedAt: string): string {
  const who = serialNumbersOf(device)[0] ?? device.path;
  return `${slug(who, 64)}-${compactTime(startedAt)}-${randomBytes(2).toString('hex')}`;
}

/** "console-SN-0042-20261127-113800.log" or ".jsonl". */
export function captureFileName(capture: { serialNumber: string | null; deviceId: string; startedAt: string }, format: CaptureFormat): string {
  const who = slug(capture.serialNumber ?? capture.deviceId.replace(/^serial:/, ''), 64);
  return `console-${who}-${compactTime(capture.startedAt)}.${format === 'jsonl' ? 'jsonl' : 'log'}`;
}

export function captureMediaType(format: CaptureFormat): string {
  return format === 'jsonl' ? 'application/x-ndjson' : 'text/plain';
}
