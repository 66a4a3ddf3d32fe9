// Reads a device's identity and diagnostics through its shell, as its profile says.
//
// What a failure does to a read:
// - identity command times out, or the device is gone: the read fails (rethrown). A device
//   that answers nothing should get one clear timeout, not a report made only of errors.
// - identity command answers, but with a shell error or without a required field: the
//   report has identity null and starts with a reading 'identity' (status 'error') saying
//   why, and the diagnostics are still read; they are what a support engineer needs most
//   when a device's firmware has changed under its profile.
// - a diagnostic command times out or answers with a shell error: its readings are status
//   'error' with that message; the other commands still run.
// - the device is gone (unplugged, link closed) at any point: the read fails (rethrown).
// Any other error (busy, unavailable, a bug) is rethrown as it is.
import { isFieldbenchError } from '../../api/errors';
import type { DeviceIdentity, DiagnosticsReport, Reading } from '../../api/schemas';
import type { DiagnosticSpec, SerialProfile } from '../profiles/profile-types';
import { describeSpecLimits, judgeReading } from './judge-reading';
import { parseIdentity } from './parse-identity';

/** What diagnostics need of a shell; the ShellClient in src-main/protocols/shell has this shape. */
export interface ShellCommandRunner {
  /** Sends one command and resolves with its answer lines (echo and prompt removed). */
  run(command: string, options?: { timeoutMs?: number; step?: string }): Promise<string[]>;
}

export interface ReadDiagnosticsOptions {
  deviceId: string;
  /** The clock for startedAt, readAt and finishedAt; tests pass a fixed one. */
  now?: () => Date;
}

/** The id of the reading that reports an identity the device gave but the profile could not read. */
export const IDENTITY_READING_ID = 'identity';

const IDENTITY_STEP = 'read identity';

export async function readIdentity(shell: ShellCommandRunner, profile: SerialProfile): Promise<DeviceIdentity> {
  const lines = await shell.run(profile.identity.command, {
    timeoutMs: profile.shell.commandTimeoutMs,
    step: IDENTITY_STEP,
  });
  return parseIdentity(profile.identity, lines);
}

export async function readDiagnostics(
  shell: ShellCommandRunner,
  profile: SerialProfile,
  options: ReadDiagnosticsOptions,
): Promise<DiagnosticsReport> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const readings: Reading[] = [];

  let identity: DeviceIdentity | null = null;
  try {
    identity = await readIdentity(shell, profile);
  } catch (error) {
    if (!answeredButWrong(error)) throw error;
    readings.push({
      id: IDENTITY_READING_ID,
      label: 'Identity',
      value: null,
      unit: null,
      status: 'error',
      limits: null,
      message: error.message,
      readAt: now().toISOString(),
    });
  }

  for (const [command, specs] of groupByCommand(profile.diagnostics)) {
    let lines: string[];
    try {
      lines = await shell.run(command, { timeoutMs: timeoutFor(specs, profile), step: `read diagnostics: ${command}` });
    } catch (error) {
      if (!commandFailed(error)) throw error;
      const readAt = now().toISOString();
      for (const spec of specs) readings.push(failedReading(spec, error.message, readAt));
      continue;
    }
    const readAt = now();
    for (const spec of specs) readings.push(judgeReading(spec, lines, readAt));
  }

  // Readings follow the profile's order, whatever order the commands ran in.
  const order = new Map(profile.diagnostics.map((spec, index) => [spec.id, index]));
  readings.sort((a, b) => (order.get(a.id) ?? -1) - (order.get(b.id) ?? -1));

  return {
    deviceId: options.deviceId,
    profileId: profile.id,
    identity,
    readings,
    startedAt,
    finishedAt: now().toISOString(),
  };
}

/** Each distinct command once, in the order it first appears, with the diagnostics it feeds. */
function groupByCommand(diagnostics: DiagnosticSpec[]): Map<string, DiagnosticSpec[]> {
  const groups = new Map<string, DiagnosticSpec[]>();
  for (const spec of diagnostics) {
    const group = groups.get(spec.command);
    if (group) group.push(spec);
    else groups.set(spec.command, [spec]);
  }
  return groups;
}

/** The longest deadline any diagnostic sharing the command asks for. */
function timeoutFor(specs: DiagnosticSpec[], profile: SerialProfile): number {
  return Math.max(...specs.map((spec) => spec.timeoutMs ?? profile.shell.commandTimeoutMs));
}

function failedReading(spec: DiagnosticSpec, message: string, readAt: string): Reading {
  return {
    id: spec.id,
    label: spec.label,
    value: null,
    unit: spec.type === 'text' ? null : (spec.unit ?? null),
    status: 'error',
    limits: describeSpecLimits(spec),
    message,
    readAt,
  };
}

function commandFailed(error: unknown): error is Error {
  return isFieldbenchError(error) && (error.code === 'timeout' || error.code === 'device-error');
}

function answeredButWrong(error: unknown): error is Error {
  return isFieldbenchError(error) && (error.code === 'device-error' || error.code === 'profile-error');
}
