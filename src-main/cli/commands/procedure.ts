// `fieldbench procedure list|run`: a device profile's test procedures from a terminal, for
// scripted benches. Operator steps are answered from a JSON file; each step's result is
// printed as it ends (a JSON line with --json), and the last line is the run's result.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { FieldbenchError } from '../../api/errors';
import type { Device, ProcedureRun, ProcedureStep } from '../../api/schemas';
import type { Core } from '../../core/core';
import { osOperator } from '../../core/procedures/procedure-requests';
import { stepRecord } from '../../core/procedures/run-view';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_FAILED, EXIT_OK, printJson, table, type Io } from '../output';
import { attachVirtualBle, heardDevice } from './ble';
import { identifiedDevice } from './diag';

/** Where the device is: a serial port, a BLE address, or a virtual sensor node attached for this command. */
export type ProcedureTarget = { port: string } | { ble: string; virtualBle: boolean } | { virtual: true };

export interface RunOptions {
  procedureId: string;
  answersFile: string | null;
  imageFile: string | null;
  caseId: string | null;
  operator: string | null;
}

export const AnswerEntry = z
  .object({
    answer: z.enum(['pass', 'fail']),
    reason: z.string().trim().min(1).max(2000).optional(),
    value: z.number().finite().optional(),
    /** A firmware image for a firmware step, relative to the answers file. */
    image: z.string().min(1).optional(),
  })
  .strict();
const AnswersFile = z.record(z.string(), AnswerEntry);
export type AnswersFile = z.infer<typeof AnswersFile>;

export async function procedureListCommand(session: CoreSessionOptions, target: ProcedureTarget, json: boolean): Promise<number> {
  return withCore(session, async (core) => {
    const device = await targetDevice(core, target);
    const procedures = await call(core, 'procedures.list', { deviceId: device.id });
    if (json) {
      printJson(session.io, { device: { id: device.id, path: device.path, profileId: device.profileId }, procedures });
      return EXIT_OK;
    }
    if (procedures.length === 0) {
      session.io.out(`The ${device.profileName ?? 'device'} profile declares no procedures.`);
      return EXIT_OK;
    }
    session.io.out(table([['ID', 'NAME', 'STEPS'], ...procedures.map((p) => [p.id, p.name, String(p.steps.length)])]));
    return EXIT_OK;
  });
}

export async function procedureRunCommand(session: CoreSessionOptions, target: ProcedureTarget, options: RunOptions, json: boolean, signal: AbortSignal): Promise<number> {
  const answers = options.answersFile === null ? {} : await readAnswers(options.answersFile);
  const image = options.imageFile === null ? null : await readImage(options.imageFile, '--image');
  return withCore(session, async (core) => {
    const device = await targetDevice(core, target);
    const procedure = (await call(core, 'procedures.list', { deviceId: device.id })).find((p) => p.id === options.procedureId);
    const unknown = procedure ? Object.keys(answers).filter((stepId) => !procedure.steps.some((step) => step.id === stepId)) : [];
    if (procedure && unknown.length > 0) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `${options.answersFile ?? 'the answers file'} answers step '${unknown[0]}', which the procedure '${procedure.id}' does not have`,
        step: 'read answers',
        hint: `Its steps are: ${procedure.steps.map((step) => step.id).join(', ')}.`,
      });
    }
    const driver = new RunDriver(core, session.io, json, answers, options, image);
    return driver.run(device, signal);
  });
}

/** Follows one run: prints steps as they end, answers the operator steps it waits on, resolves with its end. */
class RunDriver {
  private readonly printed = new Set<number>();
  private readonly answered = new Set<string>();
  private runId: string | null = null;
  private early: ProcedureRun[] = [];
  private finish: (run: ProcedureRun) => void = () => undefined;
  private fail: (error: unknown) => void = () => undefined;

  constructor(
    private readonly core: Core,
    private readonly io: Io,
    private readonly json: boolean,
    private readonly answers: AnswersFile,
    private readonly options: RunOptions,
    private readonly image: { fileName: string; contentBase64: string } | null,
  ) {}

  async run(device: Device, signal: AbortSignal): Promise<number> {
    const ended = new Promise<ProcedureRun>((resolvePromise, reject) => {
      this.finish = resolvePromise;
      this.fail = reject;
    });
    const off = this.core.events.on('procedures.run', (run) => {
      // Events of the run may come before start answers with its id.
      if (this.runId === null) this.early.push(run);
      else if (run.id === this.runId) this.seen(run);
    });
    const abort = () => {
      if (this.runId) void call(this.core, 'procedures.control', { runId: this.runId, action: 'abort', reason: 'interrupted from the terminal' }).catch(() => undefined);
    };
    signal.addEventListener('abort', abort, { once: true });
    try {
      const started = await call(this.core, 'procedures.start', {
        deviceId: device.id,
        procedureId: this.options.procedureId,
        onFail: 'continue',
        operator: this.options.operator ?? `${osOperator()} (cli)`,
        ...(this.options.caseId ? { caseId: this.options.caseId } : {}),
      });
      this.runId = started.id;
      for (const run of [started, ...this.early.filter((r) => r.id === started.id)]) this.seen(run);
      this.early = [];
      this.seen(await call(this.core, 'procedures.get', { runId: started.id }));
      const run = await ended;
      this.printResult(run);
      return run.state === 'passed' ? EXIT_OK : EXIT_FAILED;
    } finally {
      off();
      signal.removeEventListener('abort', abort);
    }
  }

  private seen(run: ProcedureRun): void {
    run.steps.forEach((step, index) => {
      if (this.printed.has(index) || (step.status !== 'passed' && step.status !== 'failed' && step.status !== 'skipped')) return;
      if (run.currentStep === index && run.finishedAt === null) return; // a retry may still follow
      this.printed.add(index);
      this.printStep(index, step);
    });
    const current = run.currentStep === null ? undefined : run.steps[run.currentStep];
    if (current && run.state === 'waiting' && current.awaiting !== null && current.awaiting !== 'decision') {
      const key = `${run.currentStep}:${current.attempts}`;
      if (!this.answered.has(key)) {
        this.answered.add(key);
        void this.answer(run.id, current).catch((error: unknown) => this.fail(error));
      }
    }
    if (run.finishedAt !== null) this.finish(run);
  }

  private async answer(runId: string, step: ProcedureStep): Promise<void> {
    const given = this.answers[step.id];
    const source = this.options.answersFile ?? '--answers FILE';
    if (!given) {
      const reason = `no answer for operator step ${step.id} in ${source}`;
      if (step.awaiting === 'image' && this.image) {
        await call(this.core, 'procedures.answer', { runId, stepId: step.id, answer: 'pass', image: this.image });
        return;
      }
      await call(this.core, 'procedures.answer', { runId, stepId: step.id, answer: 'fail', reason });
      return;
    }
    const image = given.image !== undefined ? await readImage(resolve(dirname(this.options.answersFile ?? '.'), given.image), `${source}: ${step.id}.image`) : this.image;
    await call(this.core, 'procedures.answer', {
      runId,
      stepId: step.id,
      answer: given.answer,
      ...(given.reason !== undefined ? { reason: given.reason } : {}),
      ...(given.value !== undefined ? { value: given.value } : {}),
      ...(step.awaiting === 'image' && image ? { image } : {}),
    });
  }

  private printStep(index: number, step: ProcedureStep): void {
    if (this.json) {
      printJson(this.io, { type: 'step', index, ...stepRecord(step) });
      return;
    }
    const mark = step.status === 'passed' ? 'PASS' : step.status === 'failed' ? 'FAIL' : 'SKIP';
    this.io.out(`${mark}  ${String(index + 1).padStart(2)}. ${step.title}${step.reason ? `: ${step.reason}` : ''}`);
  }

  private printResult(run: ProcedureRun): void {
    const count = (status: ProcedureStep['status']) => run.steps.filter((step) => step.status === status).length;
    const counts = { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), notRun: count('pending') };
    if (this.json) {
      printJson(this.io, { type: 'result', runId: run.id, procedureId: run.procedureId, state: run.state, reason: run.stateReason, caseId: run.caseId, operator: run.operator, ...counts });
      return;
    }
    const parts = [`${counts.passed} passed`, `${counts.failed} failed`, `${counts.skipped} skipped`, counts.notRun > 0 ? `${counts.notRun} not run` : null];
    this.io.out(`${run.procedureName}: ${run.state.toUpperCase()} (${parts.filter(Boolean).join(', ')}); run ${run.id}${run.caseId ? `, saved to case ${run.caseId}` : ''}`);
  }
}

async function targetDevice(core: Core, target: ProcedureTarget): Promise<Device> {
  if ('port' in target) return identifiedDevice(core, target.port);
  if ('ble' in target) {
    await attachVirtualBle(core, target.virtualBle);
    return heardDevice(core, target.ble);
  }
  return call(core, 'devices.attachVirtual', { model: 'sensor-node' });
}

export async function readAnswers(file: string): Promise<AnswersFile> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `${file}: ${error instanceof SyntaxError ? `not valid JSON: ${error.message}` : `cannot be read: ${error instanceof Error ? error.message : String(error)}`}`,
      step: 'read answers',
      hint: 'Give a JSON object: { "<step id>": { "answer": "pass" | "fail", "reason": "...", "value": 3.7 } }.',
    });
  }
  const parsed = AnswersFile.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `${file}: ${issue ? `${issue.path.map(String).join('.') || '(file)'}: ${issue.message}` : 'not an answers file'}`,
      step: 'read answers',
      hint: 'Each step id maps to { "answer": "pass" | "fail", "reason"?: text, "value"?: number, "image"?: file }.',
    });
  }
  return parsed.data;
}

export async function readImage(file: string, what: string): Promise<{ fileName: string; contentBase64: string }> {
  try {
    const bytes = await readFile(file);
    return { fileName: file.split('/').pop() ?? file, contentBase64: bytes.toString('base64') };
  } catch (error) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `${what}: ${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      step: 'read firmware image',
      hint: 'Check the path of the image file.',
    });
  }
}
