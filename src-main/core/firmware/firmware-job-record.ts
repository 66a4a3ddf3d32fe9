// What every firmware job keeps as it runs, whatever the protocol (MCUboot over SMP, USB
// DFU): each step committed to the journal the moment it happens and put on the case
// timeline, the outcome, and the 'firmware.job' and 'firmware.progress' events. The journal is
// shared by every kind of job, so a Fieldbench that stopped mid-job is closed here too, in
// words that fit what the job was doing.
import type { FirmwareJob, FirmwareOutcome, FirmwareProgress, FirmwareStep } from '../../api/schemas';
import type { CaseRepository } from '../../store/case-repository';
import type { FirmwareJournal } from '../../store/firmware-journal';
import type { EventBus } from '../event-bus';

export interface JobRecordDeps {
  journal: FirmwareJournal;
  cases: CaseRepository;
  events: EventBus;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export type StepStatus = 'started' | 'done' | 'failed' | 'skipped';

export class FirmwareJobRecord {
  /** The step that ran last: a failure is pinned on it. */
  current: FirmwareStep = 'preflight';

  constructor(
    private readonly deps: JobRecordDeps,
    readonly jobId: string,
    private readonly caseId: string | null,
    /** Heads each timeline entry ("Firmware 1.5.0"). */
    private readonly title: string,
    /** The job as clients should see it now (with whether cancel is honoured). */
    private readonly snapshot: () => FirmwareJob,
  ) {}

  step(step: FirmwareStep, status: StepStatus, detail: string | null = null): void {
    this.current = step;
    this.deps.journal.step(this.jobId, step, status, detail);
    this.toCase(`${this.title}: ${step} ${status}${detail ? ` — ${detail}` : ''}`, { step, status, detail });
    this.changed();
  }

  /**
   * Journal the outcome and put it on the case. The last 'firmware.job' event is the caller's
   * to send, once the device is released, so a client that acts on it finds the device free.
   */
  finish(outcome: FirmwareOutcome, reason: string | null): FirmwareJob {
    const finished = this.deps.journal.finish(this.jobId, outcome, reason);
    this.toCase(`Firmware update ${outcome}${reason ? `: ${reason}` : ''}`, {
      outcome,
      reason,
      versionBefore: finished.versionBefore,
      versionAfter: finished.versionAfter,
    });
    return finished;
  }

  changed(): void {
    this.deps.events.emit('firmware.job', this.snapshot());
  }

  toCase(summary: string, data: Record<string, unknown>): void {
    if (!this.caseId) return;
    try {
      this.deps.cases.appendEvent({ caseId: this.caseId, kind: 'firmware', summary, data: { jobId: this.jobId, ...data } });
    } catch (error) {
      // The job's own journal has the step; a case that cannot be written must not stop a flash mid-way.
      this.deps.log('warn', `firmware job ${this.jobId}: could not add to case ${this.caseId}: ${String(error)}`);
    }
  }
}

/**
 * Progress for clients: the rate counts only bytes moved since `firstSent` (a resumed upload
 * starts part-way), over the time since the step began.
 */
export function emitProgress(events: EventBus, jobId: string, step: FirmwareStep, sent: number, total: number, firstSent: number, startedMs: number): void {
  const seconds = (Date.now() - startedMs) / 1000;
  const bytesPerSecond = seconds > 0 ? Math.max(0, sent - firstSent) / seconds : 0;
  const payload: FirmwareProgress = {
    jobId,
    step,
    sent,
    total,
    bytesPerSecond,
    secondsLeft: bytesPerSecond > 0 ? (total - sent) / bytesPerSecond : null,
  };
  events.emit('firmware.progress', payload);
}

/** The 'write' step's opening detail; the byte count leads, so a restart can say how far a write got. */
export function writeStartedDetail(total: number): string {
  return `${total} bytes`;
}

function bytesToWrite(job: FirmwareJob): number | null {
  const detail = job.steps.findLast((s) => s.step === 'write' && s.status === 'started')?.detail;
  const match = detail ? /^(\d+) bytes/u.exec(detail) : null;
  return match ? Number(match[1]) : null;
}

const DFU_STEPS = new Set<FirmwareStep>(['detach', 'erase', 'write', 'manifest']);

/** Why a job the journal says was running did not finish: Fieldbench stopped during it. */
export function interruptedJobReason(job: FirmwareJob): string {
  const step = job.steps.at(-1)?.step ?? 'preflight';
  const stopped = `Fieldbench stopped during ${step}`;
  const isDfu = job.options.dfu !== undefined || job.steps.some((s) => DFU_STEPS.has(s.step));
  if (!isDfu) {
    return `${stopped}${step === 'upload' ? ` after ${job.uploaded} of ${job.image.size} bytes` : ''}. Flash the same image again: the upload resumes where the device left off.`;
  }
  switch (step) {
    case 'preflight':
      return `${stopped}, before anything was written: the flash holds what it held before.`;
    case 'detach':
    case 'reconnect':
      return `${stopped}, before anything was written: the device may be waiting in its DFU bootloader; flash again, or power-cycle it to start its application.`;
    case 'erase':
      return `${stopped}: the flash is partly erased and the application will not start; flash again.`;
    case 'write': {
      const total = bytesToWrite(job);
      return `${stopped} after ${job.uploaded}${total !== null ? ` of ${total}` : ''} bytes: the flash is partly written and the application will not start; flash again.`;
    }
    case 'verify':
      return `${stopped}: all ${job.uploaded} bytes were written but not read back; flash again to be sure of them.`;
    default:
      return `${stopped}, after all ${job.uploaded} bytes were written${job.steps.some((s) => s.step === 'verify' && s.status === 'done') ? ' and verified' : ''}: the device may still be in its DFU bootloader; power-cycle it to start the new firmware.`;
  }
}

/** Close every job the journal says is running: at start-up, none can be. */
export function closeInterruptedJobs(journal: FirmwareJournal): void {
  for (const job of journal.unfinished()) journal.finish(job.id, 'failed', interruptedJobReason(job));
}
