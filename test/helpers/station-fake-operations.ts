// A scriptable stand-in for the core under the station: devices come and go, firmware jobs
// progress and end as each unit's script says (or never), procedure runs move through their
// steps, and confirm and reset answer as scripted. It implements the real StationOperations,
// so the station under test cannot tell it from the core; each call is kept for the test.
import { randomUUID } from 'node:crypto';
import { FieldbenchError } from '../../src-main/api/errors';
import type { Device, FirmwareJob, FirmwareProgress, FirmwareStep, ProcedureRun, ProcedureStep } from '../../src-main/api/schemas';
import type { StationFlashInput, StationOperations, StationProcedureInput } from '../../src-main/core/station/station-operations';

export interface FlashScript {
  /** How the job ends; 'hang' never ends on its own. Default: booted (serial) or verified (USB). */
  outcome?: FirmwareJob['outcome'] | 'hang';
  /** The step the job fails at (for outcome failed). */
  failAt?: FirmwareStep;
  reason?: string;
  /** Refused up front, as a preflight that needs no device refuses. */
  refuse?: string;
  /** Whether cancel is honoured (default true). */
  cancellable?: boolean;
  /** Milliseconds the upload takes (default 20). */
  uploadMs?: number;
  /** Called once the upload is half done: a test unplugs a unit there. */
  midway?: () => void;
}

export interface ProcedureScript {
  /** Index of the step that fails (default none). */
  failStep?: number;
  /** Index of an operator step that waits for an answer (awaiting confirm). */
  promptStep?: number;
  /** The run stays on its first step for good. */
  hang?: boolean;
  /** Called once the first step runs. */
  started?: () => void;
}

const STEP_TITLES = ['Answers as a sensor node', 'Battery voltage', 'Self-test'];

export class FakeOperations implements StationOperations {
  private readonly listed = new Map<string, Device>();
  private readonly deviceListeners = new Set<(devices: Device[]) => void>();
  private readonly progressListeners = new Set<(progress: FirmwareProgress) => void>();
  private readonly jobListeners = new Set<(job: FirmwareJob) => void>();
  private readonly runListeners = new Set<(run: ProcedureRun) => void>();
  private readonly jobs = new Map<string, { job: FirmwareJob; ended: Promise<FirmwareJob>; end(outcome: FirmwareJob['outcome'], reason: string | null): void }>();
  private readonly runs = new Map<string, ProcedureRun>();

  readonly flashScripts = new Map<string, FlashScript>();
  readonly procedureScripts = new Map<string, ProcedureScript>();
  /** Firmware versions each unit runs; a reset brings back `versionBefore`. */
  readonly flashed: StationFlashInput[] = [];
  readonly procedureStarts: StationProcedureInput[] = [];
  readonly confirms: { deviceId: string; hash: string }[] = [];
  readonly resets: string[] = [];
  confirmFails: string | null = null;

  // ---------------------------------------------------------------- devices

  plug(device: Device): Device {
    this.listed.set(device.id, device);
    this.announce();
    return device;
  }

  unplug(deviceId: string): void {
    this.listed.delete(deviceId);
    this.announce();
  }

  devices(): Device[] {
    return [...this.listed.values()].map((d) => structuredClone(d));
  }

  onDevicesChanged(listener: (devices: Device[]) => void): () => void {
    this.deviceListeners.add(listener);
    return () => this.deviceListeners.delete(listener);
  }

  async identify(deviceId: string): Promise<Device> {
    const device = this.listed.get(deviceId);
    if (!device) throw new FieldbenchError({ code: 'device-gone', message: 'not listed', step: 'identify' });
    return structuredClone(device);
  }

  private announce(): void {
    for (const listener of [...this.deviceListeners]) listener(this.devices());
  }

  // ---------------------------------------------------------------- firmware

  flash(input: StationFlashInput): FirmwareJob {
    const script = this.flashScripts.get(input.deviceId) ?? {};
    const device = this.listed.get(input.deviceId);
    if (!device) throw new FieldbenchError({ code: 'not-found', message: `no device ${input.deviceId}`, step: 'firmware update' });
    if (script.refuse) throw new FieldbenchError({ code: 'invalid-request', message: script.refuse, device: device.path, step: 'firmware preflight' });
    this.flashed.push(input);
    const usb = device.transport === 'usb';
    const at = new Date().toISOString();
    const job: FirmwareJob = {
      id: randomUUID(),
      deviceId: input.deviceId,
      device: { deviceId: device.id, transport: device.transport, path: device.path, profileId: device.profileId, identity: device.identity },
      caseId: null,
      image: { fileName: input.fileName, sha256: 'a'.repeat(64), version: '2.0.0+0', size: input.bytes.length },
      options: input.options,
      state: 'running',
      cancellable: script.cancellable ?? true,
      outcome: null,
      reason: null,
      versionBefore: device.identity?.firmwareVersion ?? null,
      versionAfter: null,
      uploaded: 0,
      startedAt: at,
      updatedAt: at,
      finishedAt: null,
      steps: [],
    };
    let resolve!: (job: FirmwareJob) => void;
    const ended = new Promise<FirmwareJob>((r) => (resolve = r));
    const entry = {
      job,
      ended,
      end: (outcome: FirmwareJob['outcome'], reason: string | null) => {
        if (job.state === 'finished') return;
        Object.assign(job, { state: 'finished', cancellable: false, outcome, reason, finishedAt: new Date().toISOString() });
        if (outcome === 'booted' || outcome === 'verified' || outcome === 'written') {
          job.versionAfter = '2.0.0+0';
          const listed = this.listed.get(input.deviceId);
          if (listed?.identity) listed.identity.firmwareVersion = '2.0.0+0';
        }
        this.emitJob(job);
        resolve(structuredClone(job));
      },
    };
    this.jobs.set(job.id, entry);
    void this.drive(entry, script, usb, input.bytes.length);
    return structuredClone(job);
  }

  private async drive(entry: { job: FirmwareJob; end(outcome: FirmwareJob['outcome'], reason: string | null): void }, script: FlashScript, usb: boolean, total: number): Promise<void> {
    const { job } = entry;
    const step = (name: FirmwareStep, status: 'started' | 'done' | 'failed') => {
      if (job.state === 'finished') return false;
      job.steps.push({ step: name, status, at: new Date().toISOString(), detail: null });
      this.emitJob(job);
      return true;
    };
    if (!step('preflight', 'started')) return;
    if (script.failAt === 'preflight') {
      step('preflight', 'failed');
      entry.end('failed', script.reason ?? 'preflight failed');
      return;
    }
    step('preflight', 'done');
    const upload: FirmwareStep = usb ? 'write' : 'upload';
    if (!step(upload, 'started')) return;
    const uploadMs = script.uploadMs ?? 20;
    for (let i = 1; i <= 4; i += 1) {
      await pause(uploadMs / 4);
      if (job.state === 'finished') return;
      for (const listener of [...this.progressListeners]) listener({ jobId: job.id, step: upload, sent: (total * i) / 4, total, bytesPerSecond: 1000, secondsLeft: null });
      if (i === 2) script.midway?.();
    }
    if (script.outcome === 'hang') return;
    if (script.outcome === 'failed') {
      step(script.failAt ?? upload, 'failed');
      entry.end('failed', script.reason ?? `${script.failAt ?? upload} failed: the link dropped`);
      return;
    }
    step(upload, 'done');
    if (!usb) {
      job.cancellable = false;
      for (const name of ['test', 'reset', 'reconnect', 'verify'] as const) {
        step(name, 'started');
        step(name, 'done');
      }
    }
    entry.end(script.outcome ?? (usb ? 'verified' : 'booted'), null);
  }

  async waitFirmware(jobId: string): Promise<FirmwareJob> {
    return this.jobs.get(jobId)!.ended;
  }

  cancelFirmware(jobId: string): boolean {
    const entry = this.jobs.get(jobId);
    if (!entry || entry.job.state === 'finished' || !entry.job.cancellable) return false;
    entry.end('cancelled', 'cancelled during upload');
    return true;
  }

  onFirmwareProgress(listener: (progress: FirmwareProgress) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  onFirmwareJob(listener: (job: FirmwareJob) => void): () => void {
    this.jobListeners.add(listener);
    return () => this.jobListeners.delete(listener);
  }

  private emitJob(job: FirmwareJob): void {
    job.updatedAt = new Date().toISOString();
    for (const listener of [...this.jobListeners]) listener(structuredClone(job));
  }

  // ---------------------------------------------------------------- procedures

  startProcedure(input: StationProcedureInput): ProcedureRun {
    const device = this.listed.get(input.deviceId);
    if (!device) throw new FieldbenchError({ code: 'device-gone', message: 'not listed', step: 'start procedure' });
    this.procedureStarts.push(input);
    const at = new Date().toISOString();
    const run: ProcedureRun = {
      id: randomUUID(),
      deviceId: input.deviceId,
      device: { label: device.path, transport: device.transport, model: 'sensor-node', serialNumber: device.identity?.serialNumber ?? null, firmwareVersion: device.identity?.firmwareVersion ?? null },
      profileId: device.profileId ?? 'fieldbench-sensor-node',
      procedureId: input.procedureId,
      procedureName: 'Bench bring-up',
      caseId: null,
      operator: input.operator ?? 'someone',
      onFail: input.onFail,
      state: 'running',
      stateReason: null,
      currentStep: 0,
      steps: STEP_TITLES.map((title, index) => procedureStep(`step-${index}`, title)),
      startedAt: at,
      updatedAt: at,
      finishedAt: null,
    };
    this.runs.set(run.id, run);
    void this.driveRun(run, this.procedureScripts.get(input.deviceId) ?? {});
    return structuredClone(run);
  }

  private async driveRun(run: ProcedureRun, script: ProcedureScript): Promise<void> {
    for (let index = 0; index < run.steps.length; index += 1) {
      await pause(5);
      if (run.finishedAt !== null) return;
      const step = run.steps[index]!;
      run.currentStep = index;
      step.status = 'running';
      this.emitRun(run);
      if (index === 0) script.started?.();
      if (script.hang) return;
      if (script.promptStep === index) {
        Object.assign(step, { status: 'waiting', awaiting: 'confirm', instructions: 'Is the LED green?' });
        run.state = 'waiting';
        this.emitRun(run);
        return; // answered by answerPrompt
      }
      await pause(5);
      if (run.finishedAt !== null) return;
      if (script.failStep === index) {
        Object.assign(step, { status: 'failed', reason: "'FAIL' is not 'PASS'", reading: { value: 'FAIL', unit: null, text: null } });
        if (run.onFail === 'ask') {
          Object.assign(step, { status: 'waiting', awaiting: 'decision' });
          run.state = 'waiting';
          this.emitRun(run);
          return;
        }
        continue;
      }
      Object.assign(step, { status: 'passed', reason: 'within limits', reading: { value: 1, unit: null, text: null } });
    }
    this.endRun(run, run.steps.some((s) => s.status === 'failed') ? 'failed' : 'passed', null);
  }

  /** The operator's answer to a prompt: the run goes on with its remaining steps. */
  answerPrompt(runId: string): void {
    const run = this.runs.get(runId)!;
    const step = run.steps[run.currentStep!]!;
    Object.assign(step, { status: 'passed', awaiting: null, reason: 'confirmed by the operator' });
    run.state = 'running';
    this.emitRun(run);
    const rest = run.steps.slice(run.currentStep! + 1);
    void (async () => {
      for (const next of rest) {
        await pause(5);
        Object.assign(next, { status: 'passed', reason: 'within limits' });
      }
      this.endRun(run, 'passed', null);
    })();
  }

  private endRun(run: ProcedureRun, state: 'passed' | 'failed' | 'aborted', reason: string | null): void {
    if (run.finishedAt !== null) return;
    Object.assign(run, { state, stateReason: reason, currentStep: null, finishedAt: new Date().toISOString() });
    this.emitRun(run);
  }

  procedureRun(runId: string): ProcedureRun {
    return structuredClone(this.runs.get(runId)!);
  }

  onProcedureRun(listener: (run: ProcedureRun) => void): () => void {
    this.runListeners.add(listener);
    return () => this.runListeners.delete(listener);
  }

  async abortProcedure(runId: string, reason: string): Promise<ProcedureRun> {
    const run = this.runs.get(runId)!;
    for (const step of run.steps) if (step.status === 'waiting' || step.status === 'running') Object.assign(step, { awaiting: null, status: step.status === 'waiting' ? 'failed' : 'skipped' });
    this.endRun(run, 'aborted', reason);
    return structuredClone(run);
  }

  private emitRun(run: ProcedureRun): void {
    run.updatedAt = new Date().toISOString();
    for (const listener of [...this.runListeners]) listener(structuredClone(run));
  }

  // ---------------------------------------------------------------- actions

  async confirmImage(deviceId: string, bootloaderHash: string): Promise<void> {
    await pause(5);
    if (this.confirmFails) throw new FieldbenchError({ code: 'device-error', message: this.confirmFails, step: 'confirm image' });
    this.confirms.push({ deviceId, hash: bootloaderHash });
  }

  async resetDevice(deviceId: string): Promise<string | null> {
    await pause(5);
    this.resets.push(deviceId);
    const device = this.listed.get(deviceId);
    const before = device ? (device.usb ? null : '1.4.2') : null;
    if (device?.identity && before) device.identity.firmwareVersion = before;
    return before;
  }
}

function procedureStep(id: string, title: string): ProcedureStep {
  return {
    id,
    kind: 'check',
    title,
    instructions: null,
    unit: null,
    limit: null,
    when: null,
    timeoutMs: null,
    status: 'pending',
    attempts: 0,
    reading: null,
    reason: null,
    answer: null,
    awaiting: null,
    startedAt: null,
    finishedAt: null,
    deadlineAt: null,
  };
}

let serialCount = 0;

/** A sensor node on a serial port, identified and ready, running 1.4.2. */
export function sensorNode(serialNumber = `SN-${String((serialCount += 1)).padStart(4, '0')}`, firmwareVersion = '1.4.2'): Device {
  return {
    id: `serial:/dev/ttyFAKE-${serialNumber}`,
    transport: 'serial',
    path: `/dev/ttyFAKE-${serialNumber}`,
    virtual: true,
    profileId: 'fieldbench-sensor-node',
    profileName: 'Sensor Node',
    identity: { model: 'sensor-node', serialNumber, firmwareVersion },
    firmware: null,
    state: 'ready',
    seenAt: new Date().toISOString(),
  };
}

/** An STM32 in its system bootloader (DFU mode) on USB. */
export function stm32Bootloader(serialNumber: string, id = `usb:${serialNumber}`): Device {
  return {
    id,
    transport: 'usb',
    path: 'usb 0483:df11 (virtual)',
    virtual: true,
    usb: { vendorId: '0483', productId: 'df11', serialNumber },
    profileId: 'stm32-system-bootloader',
    profileName: 'STM32 system bootloader',
    identity: { model: 'STM32 BOOTLOADER', serialNumber, firmwareVersion: '22.00' },
    firmware: null,
    state: 'ready',
    seenAt: new Date().toISOString(),
  };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
