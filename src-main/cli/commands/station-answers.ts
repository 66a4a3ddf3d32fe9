// Answers to the operator steps of a station's units, from a terminal. An answers file (the
// format of `procedure run --answers`) answers a step the same way on every unit; what it does
// not answer is read from standard input: JSON lines naming the unit with --json, a question
// per prompt on the terminal otherwise. When no answer can come any more (no input, or it
// ended), the step fails with that reason, so a unit never waits for nobody.
import { dirname, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { z } from 'zod';
import { FieldbenchError } from '../../api/errors';
import type { StationPrompt, StationUnit } from '../../api/station-schemas';
import type { Core } from '../../core/core';
import { call } from '../core-session';
import { printFailure, type Io } from '../output';
import { AnswerEntry, readImage, type AnswersFile } from './procedure';
import { unitName } from './station-lines';

/** One answer typed or piped as a JSON line: the unit by device id or serial number, and the step. */
export const StdinAnswer = AnswerEntry.omit({ image: true })
  .extend({
    deviceId: z.string().min(1).max(200).optional(),
    serialNumber: z.string().min(1).max(200).optional(),
    stepId: z.string().min(1).max(100),
  })
  .strict()
  .refine((answer) => (answer.deviceId === undefined) !== (answer.serialNumber === undefined), {
    message: 'name the unit by one of deviceId or serialNumber',
  });
export type StdinAnswer = z.infer<typeof StdinAnswer>;

const ANSWER_LINE_HINT = 'Send one JSON object per line: {"serialNumber": "...", "stepId": "...", "answer": "pass" | "fail", "value"?: number, "reason"?: text}.';

/** A line of standard input as an answer, or the error that says what is wrong with it. */
export function parseAnswerLine(text: string): { answer: StdinAnswer } | { error: FieldbenchError } {
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch (error) {
    return { error: answerError(`not a JSON line: ${(error as Error).message}`) };
  }
  const parsed = StdinAnswer.safeParse(data);
  if (parsed.success) return { answer: parsed.data };
  const issue = parsed.error.issues[0];
  return { error: answerError(issue ? `${issue.path.map(String).join('.') || '(line)'}: ${issue.message}` : 'not an answer') };
}

function answerError(message: string, device?: string): FieldbenchError {
  return new FieldbenchError({ code: 'invalid-request', message: `answer ignored: ${message}`, step: 'read answer', hint: ANSWER_LINE_HINT, ...(device ? { device } : {}) });
}

interface Waiting {
  unit: StationUnit;
  prompt: StationPrompt;
}

/** Answers the prompts of a station's units as they appear; see the file comment for where answers come from. */
export class OperatorAnswers {
  /** Prompts shown now, by device id: the key of each, so a prompt is handled once. */
  private readonly shown = new Map<string, string>();
  /** Prompts that wait for standard input, by device id. */
  private readonly waiting = new Map<string, Waiting>();
  /** JSON answers that came before their prompt: used when it appears. */
  private readonly early: StdinAnswer[] = [];
  private readonly questions: Waiting[] = [];
  private lines: Interface | null = null;
  private inputEnded = false;
  private asking = false;
  private closed = false;

  constructor(
    private readonly core: Core,
    private readonly io: Io,
    private readonly json: boolean,
    private readonly file: { path: string; answers: AnswersFile } | null,
    private readonly input: NodeJS.ReadableStream | null,
    private readonly knownUnits: () => readonly StationUnit[],
  ) {}

  /** A tile changed: returns its prompt when it newly waits for the operator (for the caller to print), after arranging the answer. */
  unitChanged(unit: StationUnit): StationPrompt | null {
    const prompt = unit.prompt;
    const key = prompt === null ? null : `${prompt.procedureRunId}:${prompt.stepId}`;
    if ((this.shown.get(unit.deviceId) ?? null) === key) return null;
    if (key === null) {
      this.shown.delete(unit.deviceId);
      this.waiting.delete(unit.deviceId);
      return null;
    }
    this.shown.set(unit.deviceId, key);
    if (prompt === null || prompt.awaiting === 'decision' || this.closed) return prompt;
    this.answerPrompt({ unit, prompt });
    return prompt;
  }

  close(): void {
    this.closed = true;
    this.lines?.close();
    this.lines = null;
  }

  private answerPrompt(waiting: Waiting): void {
    const { prompt } = waiting;
    const given = this.file?.answers[prompt.stepId];
    if (given) {
      void this.send(waiting, given, this.file?.path ?? null);
      return;
    }
    if (this.input === null || this.inputEnded) {
      const from = this.file ? `in ${this.file.path}` : 'from --answers FILE';
      void this.send(waiting, { answer: 'fail', reason: `no answer for operator step ${prompt.stepId} ${from}${this.inputEnded ? ', and the input has ended' : ''}` }, null);
      return;
    }
    if (this.json) {
      const early = this.early.findIndex((answer) => answer.stepId === prompt.stepId && addresses(answer, waiting.unit));
      if (early >= 0) {
        const [answer] = this.early.splice(early, 1);
        void this.send(waiting, answer!, null);
        return;
      }
      this.waiting.set(waiting.unit.deviceId, waiting);
      this.readJsonLines();
      return;
    }
    this.questions.push(waiting);
    void this.askNext();
  }

  private async send(waiting: Waiting, given: z.infer<typeof AnswerEntry>, answersFile: string | null): Promise<void> {
    const { unit, prompt } = waiting;
    try {
      const image = prompt.awaiting === 'image' && given.image !== undefined && answersFile !== null ? await readImage(resolve(dirname(answersFile), given.image), `${answersFile}: ${prompt.stepId}.image`) : null;
      await call(this.core, 'procedures.answer', {
        runId: prompt.procedureRunId,
        stepId: prompt.stepId,
        answer: given.answer,
        ...(given.reason !== undefined ? { reason: given.reason } : {}),
        ...(given.value !== undefined ? { value: given.value } : {}),
        ...(image ? { image } : {}),
      });
    } catch (error) {
      // The unit may have ended meanwhile (unplugged, aborted): its tile says so; the answer is reported, not fatal.
      printFailure(this.io, withDevice(error, unitName(unit)), this.json);
    }
  }

  // ------------------------------------------------------------ JSON lines (--json)

  private readJsonLines(): void {
    if (this.lines !== null || this.input === null || this.closed) return;
    const lines = createInterface({ input: this.input, crlfDelay: Infinity });
    this.lines = lines;
    lines.on('line', (text) => {
      if (text.trim() !== '') this.jsonLine(text);
    });
    lines.on('close', () => this.ended());
  }

  private jsonLine(text: string): void {
    const parsed = parseAnswerLine(text);
    if ('error' in parsed) {
      printFailure(this.io, parsed.error, true);
      return;
    }
    const { answer } = parsed;
    const unit = this.knownUnits().find((candidate) => addresses(answer, candidate));
    if (!unit) {
      printFailure(this.io, answerError(`no unit of this station has ${answer.deviceId !== undefined ? `device id ${answer.deviceId}` : `serial number ${answer.serialNumber}`}`), true);
      return;
    }
    const waiting = this.waiting.get(unit.deviceId);
    if (waiting?.prompt.stepId === answer.stepId) {
      this.waiting.delete(unit.deviceId);
      void this.send(waiting, answer, null);
      return;
    }
    // Piped answers may run ahead of the units: kept for when that unit asks that step.
    this.early.push(answer);
  }

  // ------------------------------------------------------------ terminal questions

  private async askNext(): Promise<void> {
    if (this.asking) return;
    this.asking = true;
    try {
      for (let next = this.questions.shift(); next !== undefined && !this.closed; next = this.questions.shift()) {
        // A unit that was aborted or unplugged while its question queued is not asked about.
        if (this.shown.get(next.unit.deviceId) !== `${next.prompt.procedureRunId}:${next.prompt.stepId}`) continue;
        const answer = await this.ask(next);
        if (answer) await this.send(next, answer, null);
      }
    } finally {
      this.asking = false;
    }
  }

  /** One prompt at a time on the terminal: pass or fail, the value for a measurement, a reason for a fail. */
  private async ask({ unit, prompt }: Waiting): Promise<StdinAnswer | null> {
    const name = unitName(unit);
    const base = { deviceId: unit.deviceId, stepId: prompt.stepId };
    if (prompt.awaiting === 'image') return { ...base, answer: 'fail', reason: 'a firmware image cannot be chosen at a station terminal; put the step in the --answers file with its image' };
    this.io.out(`\n${name}: ${prompt.title}${prompt.instructions ? `\n  ${prompt.instructions}` : ''}`);
    if (prompt.awaiting === 'value') {
      for (;;) {
        const text = await this.question(`  ${name}: ${prompt.title} in ${prompt.unit ?? 'its unit'}${prompt.limit ? ` (limit ${prompt.limit})` : ''}, or f to fail: `);
        if (text === null) return this.noMoreInput(base);
        if (/^f(ail)?$/i.test(text)) return this.failWithReason(name, base);
        const value = Number(text.replace(',', '.'));
        if (text !== '' && Number.isFinite(value)) return { ...base, answer: 'pass', value };
        this.io.out(`  '${text}' is not a number.`);
      }
    }
    for (;;) {
      const text = await this.question(`  ${name}: ${prompt.title}: pass or fail? [p/f] `);
      if (text === null) return this.noMoreInput(base);
      if (/^p(ass)?$/i.test(text)) return { ...base, answer: 'pass' };
      if (/^f(ail)?$/i.test(text)) return this.failWithReason(name, base);
    }
  }

  private async failWithReason(name: string, base: { deviceId: string; stepId: string }): Promise<StdinAnswer | null> {
    const reason = await this.question(`  ${name}: why did it fail? `);
    if (reason === null) return this.noMoreInput(base);
    return { ...base, answer: 'fail', ...(reason.trim() ? { reason: reason.trim() } : {}) };
  }

  private noMoreInput(base: { deviceId: string; stepId: string }): StdinAnswer | null {
    return this.closed ? null : { ...base, answer: 'fail', reason: 'no answer: the terminal input ended' };
  }

  /** The next line typed, or null once the input has ended or the station stops. */
  private question(text: string): Promise<string | null> {
    if (this.inputEnded || this.closed || this.input === null) return Promise.resolve(null);
    if (this.lines === null) {
      this.lines = createInterface({ input: this.input, crlfDelay: Infinity });
      this.lines.on('close', () => this.ended());
    }
    const lines = this.lines;
    const answered = new Promise<string | null>((resolveAnswer) => {
      const onLine = (line: string) => {
        lines.off('close', onClose);
        resolveAnswer(line.trim());
      };
      const onClose = () => {
        lines.off('line', onLine);
        resolveAnswer(null);
      };
      lines.once('line', onLine);
      lines.once('close', onClose);
    });
    // Listening before asking: a quick (or scripted) answer may come as soon as the question is out.
    this.io.out(text);
    return answered;
  }

  /** Standard input ended: what still waits for it fails, and later prompts fail at once. */
  private ended(): void {
    this.inputEnded = true;
    this.lines = null;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    if (this.closed) return;
    for (const each of waiting) void this.send(each, { answer: 'fail', reason: `no answer for operator step ${each.prompt.stepId}: the input ended` }, null);
  }
}

function addresses(answer: StdinAnswer, unit: StationUnit): boolean {
  return answer.deviceId !== undefined ? answer.deviceId === unit.deviceId : answer.serialNumber === unit.serialNumber;
}

function withDevice(error: unknown, device: string): unknown {
  if (error instanceof FieldbenchError && !error.device) return new FieldbenchError({ ...error.toShape(), device });
  return error;
}
