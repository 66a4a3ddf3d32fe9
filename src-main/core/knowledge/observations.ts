// What suggestions are judged on, gathered from where it is known: a device (its profile,
// identity and last diagnostics report), a case (its device, snapshot, the firmware steps
// that failed, attached text) and what a caller gives directly. Pure, over contract shapes.
import type { CaseDetail, Device, DiagnosticsReport } from '../../api/schemas';
import { dfuStatusName } from '../../protocols/dfu/dfu-status';
import { describeSmpError } from '../../protocols/smp/smp-groups';
import { errorCodesInText, type ObservedErrorCode, type ObservedReading, type Observations } from './suggest-articles';

/** Only this many log lines are matched per request: the newest, where a fault shows last. */
export const MAX_OBSERVED_LOG_LINES = 5000;

export function emptyObservations(): Observations {
  return { models: [], firmware: null, readings: [], errorCodes: [], logLines: [] };
}

export function deviceObservations(device: Device, report: DiagnosticsReport | null): Observations {
  const identity = report?.identity ?? device.identity;
  return {
    models: distinct([device.profileId, device.profileName, identity?.model]),
    firmware: identity?.firmwareVersion ?? null,
    readings: report?.readings.map(observedReading) ?? [],
    errorCodes: [],
    logLines: [],
  };
}

/** A case's facts: its device and snapshot, its failed firmware steps' texts and its attachments' text. */
export function caseObservations(detail: CaseDetail, attachmentTexts: readonly string[]): Observations {
  const identity = detail.snapshot?.identity ?? detail.device?.identity ?? null;
  const failures = firmwareFailures(detail);
  const lines = [...failures, ...attachmentTexts.flatMap((text) => text.split(/\r?\n/))];
  return {
    models: distinct([detail.device?.profileId, detail.deviceModel, identity?.model]),
    firmware: identity?.firmwareVersion ?? null,
    readings: detail.snapshot?.readings.map(observedReading) ?? [],
    errorCodes: failures.flatMap(errorCodesInText),
    logLines: lines,
  };
}

/** The words of each firmware step or outcome on the timeline that failed. */
export function firmwareFailures(detail: CaseDetail): string[] {
  return detail.timeline
    .filter((event) => event.kind === 'firmware' && (event.data?.status === 'failed' || event.data?.outcome === 'failed'))
    .map((event) => event.summary);
}

/** What a caller names: an error code (numbers get their names too), a log line, readings, a model and firmware. */
export function givenObservations(given: {
  readings?: ObservedReading[] | undefined;
  errorCode?: ObservedErrorCode | undefined;
  logLine?: string | undefined;
  model?: string | undefined;
  firmware?: string | undefined;
}): Observations {
  const codes: ObservedErrorCode[] = [];
  if (given.errorCode) {
    const { kind, code } = given.errorCode;
    codes.push({ kind, code });
    if (kind === 'smp' && typeof code === 'number') codes.push({ kind, code: describeSmpError(0, code, 1).name });
    if (kind === 'dfu' && typeof code === 'number') codes.push({ kind, code: dfuStatusName(code) });
  }
  return {
    models: given.model ? [given.model] : [],
    firmware: given.firmware ?? null,
    readings: given.readings ?? [],
    errorCodes: [...codes, ...(given.logLine ? errorCodesInText(given.logLine) : [])],
    logLines: given.logLine ? [given.logLine] : [],
  };
}

/** One set from several: what is given directly wins for model and firmware, then the device, then the case. */
export function mergeObservations(...sets: Observations[]): Observations {
  const readings = new Map<string, ObservedReading>();
  for (const set of sets) for (const reading of set.readings) if (!readings.has(reading.id)) readings.set(reading.id, reading);
  const logLines = sets.flatMap((set) => set.logLines);
  return {
    models: [...new Set(sets.flatMap((set) => set.models))],
    firmware: sets.find((set) => set.firmware !== null)?.firmware ?? null,
    readings: [...readings.values()],
    errorCodes: sets.flatMap((set) => set.errorCodes),
    logLines: logLines.length > MAX_OBSERVED_LOG_LINES ? logLines.slice(-MAX_OBSERVED_LOG_LINES) : logLines,
  };
}

function observedReading(reading: DiagnosticsReport['readings'][number]): ObservedReading {
  return { id: reading.id, status: reading.status, value: reading.value, unit: reading.unit };
}

function distinct(values: readonly (string | null | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => typeof value === 'string' && value.length > 0))];
}
