// What the station reads off a device (who the unit is, whether it is ready to start) and
// how a tile starts out; plus a unit's presence over time, which tells an unplug from the
// blink of a unit re-enumerating or the device list catching up.
import type { Device } from '../../api/schemas';
import type { StationCounts, StationUnit, StationUnitState } from '../../api/station-schemas';

/** What identifies the unit across ports and re-enumerations: the serial number it reports, else its USB descriptor's. */
export function serialNumberOf(device: Device): string | null {
  const reported = device.identity?.serialNumber;
  // A USB identity says "(none)" for a device without a serial number string.
  if (reported && reported !== '(none)') return reported;
  return device.usb?.serialNumber ?? null;
}

/** Whether the unit has said who it is and is free, so a run can start on it now. */
export function isReadyToStart(device: Device): boolean {
  if (device.transport === 'usb') return device.state === 'present' || device.state === 'ready';
  return device.state === 'ready' || device.state === 'recovery';
}

export function newTile(device: Device): StationUnit {
  return {
    deviceId: device.id,
    label: device.path,
    transport: device.transport,
    virtual: device.virtual,
    serialNumber: serialNumberOf(device),
    present: true,
    ...noRunYet('waiting', null),
  };
}

/** A tile's run fields as they are before a run, or as a new run starts them. */
export function noRunYet(state: 'waiting' | 'queued', startedAt: string | null): Pick<StationUnit, RunField> {
  return {
    state,
    step: null,
    progress: null,
    prompt: null,
    runId: null,
    firmwareJobId: null,
    procedureRunId: null,
    versionBefore: null,
    versionAfter: null,
    failureStep: null,
    reason: null,
    note: null,
    startedAt,
    endedAt: null,
  };
}

type RunField =
  | 'state'
  | 'step'
  | 'progress'
  | 'prompt'
  | 'runId'
  | 'firmwareJobId'
  | 'procedureRunId'
  | 'versionBefore'
  | 'versionAfter'
  | 'failureStep'
  | 'reason'
  | 'note'
  | 'startedAt'
  | 'endedAt';

const UNDER_WAY: readonly StationUnitState[] = ['queued', 'flashing', 'testing', 'finishing'];

export function isUnderWay(unit: StationUnit): boolean {
  return UNDER_WAY.includes(unit.state);
}

/** Ended runs of this session by outcome, and the tiles as they stand: running counts units started and not yet ended (queued ones too). */
export function countUnits(units: readonly StationUnit[], ended: Omit<StationCounts, 'waiting' | 'running'>): StationCounts {
  return {
    ...ended,
    waiting: units.filter((unit) => unit.state === 'waiting').length,
    running: units.filter(isUnderWay).length,
  };
}

/**
 * Whether a unit's device is listed, and since when it is not. A run asks "has it been gone
 * for longer than the grace?", which a DFU unit re-enumerating or a port re-opening never is.
 */
export class UnitPresence {
  private absentSince: number | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(present = true) {
    if (!present) this.absentSince = Date.now();
  }

  get present(): boolean {
    return this.absentSince === null;
  }

  set(present: boolean): void {
    if (present === this.present) return;
    this.absentSince = present ? null : Date.now();
    for (const listener of [...this.listeners]) listener();
  }

  /**
   * Resolves once the device has been gone for `graceMs` without a break (at once if it
   * already has); never, if it stays or comes back. The signal ends the wait (it then stays pending).
   */
  goneFor(graceMs: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
        signal.removeEventListener('abort', stop);
      };
      const check = () => {
        clearTimeout(timer);
        if (this.absentSince === null) return;
        const left = this.absentSince + graceMs - Date.now();
        if (left <= 0) {
          stop();
          resolve();
          return;
        }
        timer = setTimeout(check, left);
      };
      if (signal.aborted) return;
      signal.addEventListener('abort', stop, { once: true });
      this.listeners.add(check);
      check();
    });
  }

  /** Whether the device is gone after watching it for up to `graceMs`: gone now and not back within it, or gone within it. */
  async isGoneWithin(graceMs: number): Promise<boolean> {
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!this.present) {
        // Gone: give it the rest of the grace to come back, as a re-enumerating unit does.
        while (!this.present && Date.now() < deadline) await pause(Math.min(50, deadline - Date.now()));
        return !this.present;
      }
      await pause(Math.min(50, deadline - Date.now()));
    }
    return !this.present;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
