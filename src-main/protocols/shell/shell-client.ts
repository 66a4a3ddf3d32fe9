// Drives a line-based device shell (Zephyr's, or anything like it) over a Link: send a
// command line, collect what comes back until the prompt returns, hand back the answer's
// lines. It does no I/O of its own, so it runs unchanged over a serial port, a BLE UART or
// the in-memory link to a virtual device.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { ShellSettings } from '../../core/profiles/profile-types';
import type { Link } from '../../transports/link';
import { toPrintableText } from './strip-ansi';

/** Longest answer kept before giving up: a shell answer is lines of text, never megabytes. */
export const MAX_ANSWER_CHARS = 1024 * 1024;

export interface RunOptions {
  /** Deadline for this command; the profile's commandTimeoutMs otherwise. */
  timeoutMs?: number;
  /** Names the step in errors ("read diagnostics: battery"); "command '<command>'" otherwise. */
  step?: string;
}

interface Exchange {
  /** The command as sent, for the echo and for messages; null for a bare line ending (sync). */
  command: string | null;
  step: string;
  timeoutMs: number;
}

export class ShellClient {
  private readonly label: string;
  private readonly errorPatterns: { source: string; regex: RegExp }[];
  private readonly prompt: string;
  /** Each command waits for the one before it; a failure must not break the chain. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly link: Link,
    private readonly settings: ShellSettings,
    options: { deviceLabel?: string } = {},
  ) {
    this.label = options.deviceLabel ?? link.label;
    // The profile's prompt may end in a space that a terminal would not show; compare as printed.
    this.prompt = toPrintableText(settings.prompt);
    if (this.prompt.trim() === '') {
      throw new FieldbenchError({
        code: 'profile-error',
        message: 'the shell prompt is empty, so the end of an answer cannot be found',
        device: this.label,
        step: 'shell settings',
        hint: "Set shell.prompt in the device profile to the text the device prints when it is ready (for example 'uart:~$ ').",
      });
    }
    this.errorPatterns = settings.errorPatterns.map((source) => {
      try {
        return { source, regex: new RegExp(source) };
      } catch (error) {
        throw new FieldbenchError(
          {
            code: 'profile-error',
            message: `error pattern /${source}/ is not a valid regular expression`,
            device: this.label,
            step: 'shell settings',
            hint: 'Fix shell.errorPatterns in the device profile.',
          },
          { cause: error },
        );
      }
    });
  }

  /**
   * Bring the shell to a known state after opening the port: send an empty line and wait for
   * the prompt. A device still booting is given until the deadline to print it.
   */
  sync(timeoutMs: number = this.settings.commandTimeoutMs): Promise<void> {
    return this.enqueue(async () => {
      await this.exchange({ command: null, step: 'connect: wait for the shell prompt', timeoutMs });
    });
  }

  /** Run one command line and return its answer's lines: no echo, no colours, no prompt. */
  run(command: string, options: RunOptions = {}): Promise<string[]> {
    const step = options.step ?? `command '${command}'`;
    const timeoutMs = options.timeoutMs ?? this.settings.commandTimeoutMs;
    return this.enqueue(async () => {
      if (/[\r\n]/.test(command)) {
        throw new FieldbenchError({
          code: 'invalid-request',
          message: 'a shell command must be one line',
          device: this.label,
          step,
        });
      }
      const lines = await this.exchange({ command, step, timeoutMs });
      this.checkForDeviceError(command, step, lines);
      return lines;
    });
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    // The deadline of a queued command starts when its turn comes: time spent behind another
    // command is bounded by that command's own deadline, so nothing waits forever.
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async exchange(exchange: Exchange): Promise<string[]> {
    const { command, step, timeoutMs } = exchange;
    if (!this.link.isOpen) throw this.goneError(step, command, null);

    // Whatever arrived before this command (late output of an earlier one, boot chatter)
    // would otherwise be taken for its answer.
    this.link.discardInput();
    const line = (command ?? '') + this.settings.lineEnding;
    try {
      await this.link.write(new TextEncoder().encode(line));
    } catch (error) {
      throw this.wrapLinkError(error, step, command);
    }

    const answer = new AnswerCollector(command, this.prompt, this.settings.echo);
    const decoder = new TextDecoder('utf-8', { fatal: false });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw this.timeoutError(exchange, answer);
      let chunk: Uint8Array;
      try {
        chunk = await this.link.read(remaining);
      } catch (error) {
        throw this.wrapLinkError(error, step, command);
      }
      if (chunk.length === 0) continue;
      answer.add(decoder.decode(chunk, { stream: true }));
      if (answer.receivedChars > MAX_ANSWER_CHARS) {
        throw new FieldbenchError({
          code: 'device-error',
          message: `the answer to ${describe(command)} passed ${MAX_ANSWER_CHARS} characters without a prompt`,
          device: this.label,
          step,
          hint: 'The device may be streaming logs to its shell; turn logging off on the device or reset it, then try again.',
        });
      }
      if (answer.isComplete) return answer.lines();
    }
  }

  private checkForDeviceError(command: string, step: string, lines: string[]): void {
    for (const line of lines) {
      const pattern = this.errorPatterns.find((p) => p.regex.test(line));
      if (pattern) {
        throw new FieldbenchError({
          code: 'device-error',
          message: `the device answered '${command}' with "${line.trim()}"`,
          device: this.label,
          step,
          hint: 'Check that the device firmware supports this command; see the device log for details.',
        });
      }
    }
  }

  private timeoutError(exchange: Exchange, answer: AnswerCollector): FieldbenchError {
    const { command, step, timeoutMs } = exchange;
    const what = command === null ? `no prompt '${this.prompt}'` : `no prompt after '${command}'`;
    let detail: string;
    if (answer.receivedChars === 0) detail = 'nothing was received';
    else if (command !== null && this.settings.echo && !answer.echoSeen) detail = `the echo of the command never came back (received: "${answer.preview()}")`;
    else detail = `received: "${answer.preview()}"`;
    return new FieldbenchError({
      code: 'timeout',
      message: `${what} within ${timeoutMs} ms; ${detail}`,
      device: this.label,
      step,
      hint: `Check the cable and baud rate (${this.settings.baudRate}), and that the device is powered and running its shell.`,
    });
  }

  private wrapLinkError(error: unknown, step: string, command: string | null): FieldbenchError {
    if (isFieldbenchError(error) && error.code !== 'device-gone') return error;
    if (isFieldbenchError(error) || !this.link.isOpen) return this.goneError(step, command, error);
    return new FieldbenchError(
      { code: 'internal', message: `the link failed during ${describe(command)}: ${String(error)}`, device: this.label, step },
      { cause: error },
    );
  }

  private goneError(step: string, command: string | null, cause: unknown): FieldbenchError {
    const why = isFieldbenchError(cause) ? ` (${cause.message})` : '';
    return new FieldbenchError(
      {
        code: 'device-gone',
        message: `the link closed during ${describe(command)}${why}`,
        device: this.label,
        step,
        hint: 'The device was unplugged, reset its USB connection, or the port was closed. Reconnect it and try again.',
      },
      { cause },
    );
  }
}

function describe(command: string | null): string {
  return command === null ? 'the prompt check' : `'${command}'`;
}

/**
 * Splits the incoming text into lines as it arrives and decides when the answer is over:
 * the echo of the command has come back (when the shell echoes) and the prompt stands at the
 * start of the last, unfinished line.
 */
class AnswerCollector {
  /** Text after the last line break, not yet a line. */
  private partial = '';
  private readonly collected: string[] = [];
  receivedChars = 0;
  echoSeen: boolean;

  constructor(
    private readonly command: string | null,
    private readonly prompt: string,
    private readonly echo: boolean,
  ) {
    // A bare line ending echoes only as a line break; there is nothing to wait for.
    this.echoSeen = !echo || command === null || command.trim() === '';
  }

  add(text: string): void {
    this.receivedChars += text.length;
    this.partial += text;
    for (;;) {
      const at = this.partial.search(/[\r\n]/);
      if (at < 0) break;
      // "\r" at the very end may be the first half of "\r\n": wait for the next character.
      if (this.partial[at] === '\r' && at === this.partial.length - 1) break;
      const width = this.partial[at] === '\r' && this.partial[at + 1] === '\n' ? 2 : 1;
      this.takeLine(this.partial.slice(0, at));
      this.partial = this.partial.slice(at + width);
    }
  }

  get isComplete(): boolean {
    return this.echoSeen && this.promptAtLineStart();
  }

  lines(): string[] {
    // A bare prompt inside an answer is the shell answering a stray line ending (a reset
    // mid-command can leave one behind); it is never part of what the command printed.
    const prompt = this.prompt.trimEnd();
    const lines = this.collected.filter((line) => line !== prompt);
    while (lines.length > 0 && lines[0]?.trim() === '') lines.shift();
    while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
    return lines;
  }

  /** The last thing received, printable and short, for a time-out message. */
  preview(): string {
    const text = [...this.collected.slice(-3), toPrintableText(this.partial)].join(' | ').trim();
    return text.length > 120 ? `…${text.slice(-120)}` : text;
  }

  private takeLine(raw: string): void {
    const line = toPrintableText(raw).trimEnd();
    if (this.echoSeen) {
      this.collected.push(line);
      return;
    }
    // Until the echo comes back, every line is stale output of something earlier (or the
    // prompt the echo is printed after); the echo line itself is not part of the answer.
    if (this.command !== null && line.endsWith(this.command.trimEnd())) this.echoSeen = true;
  }

  private promptAtLineStart(): boolean {
    // Compared without the prompt's trailing space, which may still be on its way.
    return toPrintableText(this.partial).startsWith(this.prompt.trimEnd());
  }
}
