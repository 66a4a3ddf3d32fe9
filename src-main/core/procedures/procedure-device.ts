// What a procedure step needs of a device, whatever carries it to the device: a diagnostic
// read, a shell command, the uptime, a reset, its log, its firmware version and the update
// job. Steps are written against this; the core builds it from its registries, and each
// operation goes through the same per-device locking as the rest of the core.
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { Device, DiagnosticsReport, FirmwareJob, LogLines, Reading } from '../../api/schemas';
import { stripAnsi } from '../../protocols/shell/strip-ansi';
import { judgeReading } from '../diagnostics/judge-reading';
import type { SerialProfile } from '../profiles/profile-types';
import type { ShellClient } from '../../protocols/shell/shell-client';
import type { Link } from '../../transports/link';
import { UPTIME_DIAGNOSTIC_ID } from '../profiles/procedure-checks';
import { uptimeSeconds } from './uptime-restart';

export interface ProcedureDevice {
  /** The device as listed; not-found when it is not. */
  get(deviceId: string): Device;
  /** One diagnostic of the profile, read over the device's transport (shell or GATT). */
  readDiagnostic(deviceId: string, diagnosticId: string, step: string, timeoutMs?: number): Promise<Reading>;
  /** A shell command's answer lines (serial devices only). */
  runCommand(deviceId: string, command: string, step: string, timeoutMs?: number): Promise<string[]>;
  /** The uptime diagnostic's value in seconds; null when the device's transport has none, or it reads no time. */
  uptime(deviceId: string, step: string): Promise<number | null>;
  resetOverSmp(deviceId: string, step: string): Promise<void>;
  /** The first log line matching `pattern` before the deadline (epoch ms), or null. */
  watchLog(deviceId: string, pattern: RegExp, deadline: number, signal: AbortSignal, step: string): Promise<string | null>;
  /** Asks the device who it is again, and answers with the firmware version it reports. */
  firmwareVersion(deviceId: string): Promise<string | null>;
  /** Starts the firmware update job and answers with it once it has finished. */
  updateFirmware(input: { deviceId: string; fileName: string; bytes: Uint8Array; caseId: string | null }, deadline: number, signal: AbortSignal): Promise<FirmwareJob>;
  /** An image file a profile names, relative to the profile's folder. */
  readProfileFile(profileId: string, relative: string): Promise<{ fileName: string; bytes: Uint8Array }>;
}

/** The core services the procedure device is made of; create-core passes its own. */
export interface ProcedureDeviceDeps {
  device(deviceId: string): Device;
  isBle(deviceId: string): boolean;
  identify(deviceId: string): Promise<Device>;
  withShell<T>(deviceId: string, step: string, work: (shell: ShellClient, profile: SerialProfile) => Promise<T>): Promise<T>;
  withLink<T>(deviceId: string, step: string, work: (link: Link) => Promise<T>): Promise<T>;
  readBleDiagnostics(deviceId: string): Promise<DiagnosticsReport>;
  smpReset(deviceId: string, step: string): Promise<void>;
  followBleLog(deviceId: string): Promise<void>;
  onLogLines(listener: (lines: LogLines) => void): () => void;
  startFirmwareUpdate(input: { deviceId: string; fileName: string; bytes: Uint8Array; caseId: string | null }): FirmwareJob;
  firmwareJob(jobId: string): Promise<FirmwareJob>;
  cancelFirmwareJob(jobId: string): void;
  profileFile(profileId: string): string | undefined;
  now(): Date;
}

/** How often a serial console is read while a log line is awaited. */
const LOG_READ_SLICE_MS = 250;

export function procedureDevice(deps: ProcedureDeviceDeps): ProcedureDevice {
  const readDiagnostic = async (deviceId: string, diagnosticId: string, step: string, timeoutMs?: number): Promise<Reading> => {
    if (deps.isBle(deviceId)) {
      const report = await deps.readBleDiagnostics(deviceId);
      const reading = report.readings.find((candidate) => candidate.id === diagnosticId);
      if (!reading) throw noDiagnostic(deps.device(deviceId), diagnosticId, 'Bluetooth LE', step);
      return reading;
    }
    return deps.withShell(deviceId, step, async (shell, profile) => {
      const spec = profile.diagnostics.find((candidate) => candidate.id === diagnosticId);
      if (!spec) throw noDiagnostic(deps.device(deviceId), diagnosticId, 'serial', step);
      const lines = await shell.run(spec.command, { timeoutMs: timeoutMs ?? spec.timeoutMs ?? profile.shell.commandTimeoutMs, step });
      return judgeReading(spec, lines, deps.now());
    });
  };

  return {
    get: (deviceId) => deps.device(deviceId),
    readDiagnostic,
    runCommand: (deviceId, command, step, timeoutMs) => {
      if (deps.isBle(deviceId)) {
        const device = deps.device(deviceId);
        return Promise.reject(
          new FieldbenchError({
            code: 'invalid-request',
            message: 'a shell command needs the serial shell, and this device is connected over Bluetooth LE',
            device: device.path,
            step,
            hint: 'Run this procedure with the device on its USB serial port, or skip the step with a reason.',
          }),
        );
      }
      return deps.withShell(deviceId, step, (shell, profile) => shell.run(command, { timeoutMs: timeoutMs ?? profile.shell.commandTimeoutMs, step }));
    },
    uptime: async (deviceId, step) => {
      let reading: Reading;
      try {
        reading = await readDiagnostic(deviceId, UPTIME_DIAGNOSTIC_ID, step);
      } catch (error) {
        if (isFieldbenchError(error) && error.code === 'profile-error') return null;
        throw error;
      }
      return uptimeSeconds(reading.value, reading.unit);
    },
    resetOverSmp: (deviceId, step) => deps.smpReset(deviceId, step),
    watchLog: (deviceId, pattern, deadline, signal, step) =>
      deps.isBle(deviceId) ? watchBleLog(deps, deviceId, pattern, deadline, signal) : watchSerialConsole(deps, deviceId, pattern, deadline, signal, step),
    firmwareVersion: async (deviceId) => (await deps.identify(deviceId)).identity?.firmwareVersion ?? null,
    updateFirmware: (input, deadline, signal) => {
      const job = deps.startFirmwareUpdate(input);
      const allowedSeconds = Math.round((deadline - Date.now()) / 1000);
      return new Promise<FirmwareJob>((resolvePromise, reject) => {
        const timer = setTimeout(() => {
          finish();
          // Cancelled only while the upload runs; once the device switches images the job must end on its own.
          deps.cancelFirmwareJob(job.id);
          reject(
            new FieldbenchError({
              code: 'timeout',
              message: `the firmware update did not finish within ${allowedSeconds} s`,
              device: job.device.path,
              step: 'firmware update',
              hint: 'Look at the firmware job on the device page for where it stands; retry the step once it has ended.',
            }),
          );
        }, Math.max(0, deadline - Date.now()));
        const onAbort = () => {
          finish();
          deps.cancelFirmwareJob(job.id);
          reject(signal.reason);
        };
        const finish = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        deps.firmwareJob(job.id).then(
          (finished) => {
            finish();
            resolvePromise(finished);
          },
          (error: unknown) => {
            finish();
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
    },
    readProfileFile: async (profileId, relative) => {
      const profileFile = deps.profileFile(profileId);
      if (!profileFile) {
        throw new FieldbenchError({ code: 'not-found', message: `no device profile '${profileId}' is loaded`, step: 'read firmware image', hint: 'Reload the profiles.' });
      }
      const path = resolve(dirname(profileFile), relative);
      try {
        return { fileName: basename(path), bytes: new Uint8Array(await readFile(path)) };
      } catch (error) {
        throw new FieldbenchError(
          {
            code: 'profile-error',
            message: `the image ${relative} named by the profile cannot be read: ${error instanceof Error ? error.message : String(error)}`,
            step: 'read firmware image',
            hint: `Put the image at ${path}, or supply one when the step asks.`,
          },
          { cause: error },
        );
      }
    },
  };
}

function noDiagnostic(device: Device, diagnosticId: string, transport: string, step: string): FieldbenchError {
  return new FieldbenchError({
    code: 'profile-error',
    message: `the profile has no ${transport} diagnostic '${diagnosticId}'`,
    device: device.path,
    step,
    hint: `Connect the device over the transport that reads '${diagnosticId}', or skip the step with a reason.`,
  });
}

/**
 * The serial console between commands: whatever the device prints (boot banner, log lines)
 * is read with the device held, so no command's answer is taken for a log line.
 */
function watchSerialConsole(
  deps: ProcedureDeviceDeps,
  deviceId: string,
  pattern: RegExp,
  deadline: number,
  signal: AbortSignal,
  step: string,
): Promise<string | null> {
  return deps.withLink(deviceId, step, async (link) => {
    const decoder = new TextDecoder('utf-8', { fatal: false });
    let partial = '';
    while (!signal.aborted) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      const chunk = await link.read(Math.min(remaining, LOG_READ_SLICE_MS));
      if (chunk.length === 0) continue;
      const lines = (partial + decoder.decode(chunk, { stream: true })).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const text = stripAnsi(line);
        if (pattern.test(text)) return text;
      }
    }
    throw signal.reason;
  });
}

/** A BLE device's UART log, through its follow (started if it is not running). */
async function watchBleLog(deps: ProcedureDeviceDeps, deviceId: string, pattern: RegExp, deadline: number, signal: AbortSignal): Promise<string | null> {
  let found: ((line: string | null) => void) | undefined;
  const result = new Promise<string | null>((resolvePromise) => (found = resolvePromise));
  const stop = deps.onLogLines((event) => {
    if (event.deviceId !== deviceId) return;
    const line = event.lines.find((candidate) => pattern.test(candidate.text));
    if (line) found?.(line.text);
  });
  const timer = setTimeout(() => found?.(null), Math.max(0, deadline - Date.now()));
  const onAbort = () => found?.(null);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await deps.followBleLog(deviceId);
    const line = await result;
    if (signal.aborted) throw signal.reason;
    return line;
  } finally {
    stop();
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
