// The firmware jobs this process runs now, of whatever kind: which device each holds, whether
// cancel is honoured at this moment, and how to wait for or stop them. The journal holds every
// job; only the process running one knows whether it can be cancelled now.
import { FieldbenchError } from '../../api/errors';
import type { FirmwareJob } from '../../api/schemas';
import type { FirmwareJournal } from '../../store/firmware-journal';

export interface RunningJob {
  readonly id: string;
  readonly deviceId: string;
  readonly controller: AbortController;
  /** Cancel is honoured now; the job sets it as it moves between steps. */
  cancellable: boolean;
  done: Promise<FirmwareJob>;
}

export class RunningJobs {
  private readonly jobs = new Map<string, RunningJob>();

  constructor(private readonly journal: FirmwareJournal) {}

  /** One firmware job per device: a second is refused before it is journaled. */
  checkDeviceFree(deviceId: string, deviceLabel: string): void {
    for (const job of this.jobs.values()) {
      if (job.deviceId === deviceId) {
        throw new FieldbenchError({
          code: 'device-busy',
          message: 'a firmware update is already running on this device',
          device: deviceLabel,
          step: 'firmware update',
          hint: 'Wait for it to finish, or cancel it first.',
        });
      }
    }
  }

  /** Track a journaled job and run it; the job is known (for get and cancel) before `run` starts. */
  start(journaled: FirmwareJob, deviceId: string, cancellable: boolean, run: (job: RunningJob) => Promise<FirmwareJob>): RunningJob {
    const job: RunningJob = { id: journaled.id, deviceId, controller: new AbortController(), cancellable, done: Promise.resolve(journaled) };
    this.jobs.set(job.id, job);
    job.done = run(job);
    return job;
  }

  /** The job stopped running (called by the job itself, before its last event). */
  ended(jobId: string): void {
    this.jobs.delete(jobId);
  }

  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /**
   * The job as the journal has it. A job that has journaled its outcome but not yet released
   * its device still shows as running, so whoever sees it finished (by asking or by the last
   * 'firmware.job' event) finds the device free.
   */
  get(jobId: string): FirmwareJob {
    const journaled = this.journal.get(jobId);
    const job = this.jobs.get(jobId);
    if (!job) return journaled;
    if (journaled.state === 'running') return { ...journaled, cancellable: job.cancellable };
    return { ...journaled, state: 'running', cancellable: false, outcome: null, reason: null, finishedAt: null };
  }

  /** Resolves with the finished job; for callers that wait (the CLI, tests). */
  async wait(jobId: string): Promise<FirmwareJob> {
    return (await this.jobs.get(jobId)?.done) ?? this.get(jobId);
  }

  /** Abort the job if cancel is honoured now; otherwise throw what `refusal` words. A finished job is returned as it is. */
  cancel(jobId: string, refusal: () => FieldbenchError): FirmwareJob {
    const job = this.jobs.get(jobId);
    if (!job) return this.get(jobId);
    if (!job.cancellable) throw refusal();
    job.controller.abort();
    return this.get(jobId);
  }

  /** Cancel what can be, and wait (bounded) for the rest, before the app closes. */
  async close(deadlineMs: number): Promise<void> {
    for (const job of this.jobs.values()) if (job.cancellable) job.controller.abort();
    const all = Promise.allSettled([...this.jobs.values()].map((job) => job.done));
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, deadlineMs).unref())]);
  }
}
