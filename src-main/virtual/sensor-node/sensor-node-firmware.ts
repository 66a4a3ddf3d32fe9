// The firmware of the sensor node, played in software: a small Zephyr-based battery sensor
// with a Zephyr shell on its UART. It sits on the DEVICE end of any Link (a pseudo-terminal
// opened through serialport, or an in-memory pipe) and behaves like the real board: boot
// banner, coloured prompt, character echo, backspace, red error lines, slow self-test,
// reboots. The fault knobs make it slow, noisy, silent or unplug itself, so the host side
// can be tested against the ways real devices misbehave.
//
// It also runs MCUboot and an SMP server on the same UART (sensor-node-smp.ts): SMP frames
// are taken out of the byte stream before the shell sees it, every reset runs the
// bootloader (which may swap, revert or refuse an image), and the firmware version the
// shell reports is the one in the running slot. In serial recovery MCUboot owns the UART:
// no banner, no shell, SMP only.
//
// Its logging thread (sensor-node-logger.ts) prints Zephyr log lines beside the shell: a
// background stream (`log stream on`) and a numbered flood (`log flood`) for loss tests.
//
// device-profiles/sensor-node.json parses these answers: change a format here only
// together with that profile.
import { type KeyObject, createPublicKey } from 'node:crypto';
import type { VirtualFaults } from '../../api/schemas';
import type { Link } from '../../transports/link';
import { LineRateLink } from '../line-rate-link';
import { hash32, mulberry32 } from '../seeded-random';
import type { BootResult, McubootSlots } from './mcuboot-slots';
import { KNOWN_PROBLEM_MESSAGES, logTimestamp, noiseBytes } from './sensor-node-log';
import { MAX_FLOOD_LINES, MAX_STREAM_LINES_PER_SECOND, SensorNodeLogger } from './sensor-node-logger';
import { SensorNodeSmp } from './sensor-node-smp';
import type { NodeMode } from './smp-image-group';
import { SMP_RESET_DELAY_MS } from './smp-os-group';

export type ResetCause = 'power-on' | 'pin' | 'software' | 'watchdog' | 'brownout';
export type SelftestPart = 'flash' | 'sensor' | 'radio';

export interface SensorNodeOptions {
  /** "SN-" and 8 upper-case hex digits; derived from the seed when not given. */
  serialNumber?: string;
  /** 'major.minor.revision' of the factory image in the primary slot; 1.4.2 by default. */
  firmwareVersion?: string;
  /** Makes serial number, noise, error log and garbage repeatable. */
  seed?: number;
  faults?: VirtualFaults;
  /** Milliseconds, for uptime and battery drift; Date.now by default. */
  clock?: () => number;
  /** Battery voltage at boot (3.0 to 4.2 V); a low value plays a flat battery. */
  batteryVolts?: number;
  /** Entries in the stored error log; from the seed (0 to 3) when not given. */
  errorLogEntries?: number;
  /** A self-test part that fails. */
  failingSelftestPart?: SelftestPart | null;
  /** Reset cause reported after the first boot. */
  resetCause?: ResetCause;
  /** Where the node starts: its application (default), or MCUboot serial recovery. */
  mode?: NodeMode;
  /** Flash erase/program time multiplier for uploads and swaps: 1 real time (default), 0 instant. */
  timeScale?: number;
  /** Size of each MCUboot slot; 0x60000 by default. */
  slotSize?: number;
  /** The bootloader's public key (PEM or KeyObject): when set, only images it verifies are booted. */
  signingKey?: KeyObject | string;
  /** MCUmgr buffer size reported and enforced (1024 by default). */
  smpBufSize?: number;
  /** Send and consume bytes at baud / 10 bytes per second, as a UART at this rate would; unset: as fast as the link goes. */
  lineRateBaud?: number;
}

export const BOOT_BANNER = '*** Booting Zephyr OS build v3.7.0 ***';
export const SHELL_PROMPT = 'uart:~$ ';

/** How long the node is deaf after a reset before it prints its banner. */
export const REBOOT_SILENCE_MS = 200;
/** How long the self-test takes. */
export const SELFTEST_DURATION_MS = 300;

const RED = '\u001b[1;31m';
const GREEN = '\u001b[1;32m';
const RESET = '\u001b[0m';

const COMMANDS: { name: string; help: string }[] = [
  { name: 'battery', help: 'Battery voltage and state of charge' },
  { name: 'device', help: 'Device information: info' },
  { name: 'help', help: 'Prints the help message.' },
  { name: 'hwinfo', help: 'Hardware information: reset_cause' },
  { name: 'kernel', help: 'Kernel commands: uptime, reboot' },
  { name: 'log', help: 'Log: errors, stream, flood' },
  { name: 'selftest', help: 'Run the built-in self-test' },
  { name: 'sensor', help: 'Sensor readings: temp' },
];

/** Lines a second of `log stream on` without a rate. */
const DEFAULT_STREAM_LINES_PER_SECOND = 5;
/** Most bytes in one write of the logging thread with no line rate set: a burst as a UART DMA buffer hands over. */
const LOG_WRITE_BYTES = 16 * 1024;
/** With a line rate, a write lasts at most this long on the wire, so a command typed meanwhile is echoed soon. */
const LOG_WRITE_WIRE_MS = 50;

// LiPo open-circuit voltage to state of charge, from a typical discharge curve.
const CHARGE_CURVE: [volts: number, percent: number][] = [
  [3.0, 0], [3.3, 5], [3.6, 20], [3.7, 40], [3.8, 60], [3.85, 70], [3.9, 85], [3.95, 90], [4.0, 93], [4.1, 97], [4.2, 100],
];

/** Battery drain while running, in volts per second of uptime: visible over minutes, not seconds. */
const DRAIN_VOLTS_PER_SECOND = 0.0002;

export class SensorNodeSimulator {
  readonly serialNumber: string;
  /** The MCUmgr stack: flash, slots, SMP server. */
  readonly smp: SensorNodeSmp;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly baseTemperature: number;
  private readonly errorLog: { atMs: number; message: string }[];
  private currentFaults: VirtualFaults;
  private batteryAtBootVolts: number;
  private failingPart: SelftestPart | null;

  private link: Link | null = null;
  private readonly lineRateBaud: number | undefined;
  private stopped = false;
  /** Attached at least once: a later attach is the cable going back in, not a power-up. */
  private poweredOn = false;
  private currentMode: NodeMode;
  private recoveryRequested = false;
  private lastBootResult: BootResult | null = null;
  private stalledUntil = 0;
  private bytesReceivedSinceDropArmed = 0;
  /** Bumped on every reset: work started before it belongs to a CPU that no longer runs. */
  private bootEpoch = 0;
  private booting = false;
  private bootedAt: number;
  private resetCause: ResetCause;
  private lineBuffer = '';
  /** The last character ended a line with '\r', so a following '\n' is the same Enter. */
  private lastWasCarriageReturn = false;
  private bytesSentSinceDropArmed = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly logger: SensorNodeLogger;
  /** Work a command starts once its answer and the prompt are out (a flood begins after the prompt). */
  private afterPrompt: (() => void) | null = null;
  /**
   * The shell left the cursor on an open line (its prompt, or a command being typed). Log
   * output first clears that line, as Zephyr's shell does for its log backend, so a log
   * line never starts behind a prompt.
   */
  private shellLineOpen = false;
  /** Log output cleared the prompt; it is drawn again when the flood ends. */
  private promptCleared = false;

  constructor(options: SensorNodeOptions = {}) {
    const seed = (options.seed ?? 0x5eed) >>> 0;
    this.random = mulberry32(seed);
    this.serialNumber = options.serialNumber ?? `SN-${hash32(seed).toString(16).toUpperCase().padStart(8, '0')}`;
    this.clock = options.clock ?? Date.now;
    this.currentFaults = { ...options.faults };
    this.batteryAtBootVolts = clamp(options.batteryVolts ?? 3.9 + this.random() * 0.1, 3.0, 4.2);
    this.baseTemperature = 23.5 + this.random() * 2;
    this.failingPart = options.failingSelftestPart ?? null;
    const entries = options.errorLogEntries ?? Math.floor(this.random() * 4);
    this.errorLog = Array.from({ length: entries }, (_, i) => ({
      atMs: 1_000 + i * 7_000 + Math.floor(this.random() * 5_000),
      message: KNOWN_PROBLEM_MESSAGES[Math.floor(this.random() * KNOWN_PROBLEM_MESSAGES.length)] ?? 'unknown',
    }));
    this.resetCause = options.resetCause ?? 'power-on';
    this.bootedAt = this.clock();
    this.currentMode = options.mode ?? 'application';
    this.lineRateBaud = options.lineRateBaud;
    const writeBytes = this.lineRateBaud !== undefined ? Math.max(256, Math.floor((this.lineRateBaud / 10) * (LOG_WRITE_WIRE_MS / 1000))) : LOG_WRITE_BYTES;
    this.logger = new SensorNodeLogger(
      {
        bootEpoch: () => this.bootEpoch,
        running: (epoch) => epoch === this.bootEpoch && !this.stopped && !this.booting && this.link !== null && this.currentMode === 'application',
        uptimeMs: () => this.uptimeMs,
        send: (bytes, epoch) => this.sendLog(bytes, epoch),
        floodEnded: (epoch) => this.redrawPrompt(epoch),
        after: (ms, action) => this.after(ms, action),
        floodRebootLine: () => this.currentFaults.rebootAtFloodLine,
        rebootForFlood: () => {
          this.takeFault('rebootAtFloodLine');
          this.reboot('watchdog');
        },
      },
      { seed, writeBytes },
    );
    const signingKey = typeof options.signingKey === 'string' ? createPublicKey(options.signingKey) : options.signingKey;
    this.smp = new SensorNodeSmp(
      {
        seed,
        firmwareVersion: options.firmwareVersion ?? '1.4.2',
        nodeName: 'sensor-node',
        ...(options.slotSize !== undefined ? { slotSize: options.slotSize } : {}),
        ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
        ...(options.smpBufSize !== undefined ? { bufSize: options.smpBufSize } : {}),
        ...(signingKey ? { signingKey } : {}),
      },
      {
        mode: () => this.currentMode,
        uptimeMs: () => this.uptimeMs,
        scheduleReset: () => {
          const epoch = this.bootEpoch;
          this.after(SMP_RESET_DELAY_MS, () => {
            if (epoch === this.bootEpoch) this.reboot('software');
          });
        },
        takeCorruptFrame: () => this.takeFault('corruptNextFrame') === true,
        takeInjectedRc: () => this.takeFault('smpErrorRc'),
        resetsDuringUpload: (offset, length) => {
          const percent = this.currentFaults.rebootAtUploadPercent;
          if (percent === undefined || offset * 100 < percent * length) return false;
          this.takeFault('rebootAtUploadPercent');
          this.reboot('watchdog');
          return true;
        },
      },
    );
  }

  /** The running application's version, major.minor.revision, from the primary slot's image header. */
  get firmwareVersion(): string {
    const version = this.slots.activeVersion();
    return version ? `${version.major}.${version.minor}.${version.revision}` : 'none';
  }

  get slots(): McubootSlots {
    return this.smp.slots;
  }

  get mode(): NodeMode {
    return this.currentMode;
  }

  /** What the bootloader did at the last reset (swap, revert, refusal with its reason); null before any reset. */
  get lastBoot(): BootResult | null {
    return this.lastBootResult;
  }

  /** Reset into MCUboot serial recovery, as holding the board's recovery button through a reset does. */
  enterSerialRecovery(): void {
    this.recoveryRequested = true;
    this.reboot('pin');
  }

  get faults(): VirtualFaults {
    return { ...this.currentFaults };
  }

  /** Replace the fault knobs. A new dropAfterBytes counts from now. */
  setFaults(faults: VirtualFaults): void {
    if (faults.dropAfterBytes !== undefined) this.bytesSentSinceDropArmed = 0;
    if (faults.dropAtReceivedBytes !== undefined || faults.powerLossAtReceivedBytes !== undefined) this.bytesReceivedSinceDropArmed = 0;
    this.currentFaults = { ...faults };
  }

  /** A one-shot knob fires: read it and disarm it. */
  private takeFault<K extends keyof VirtualFaults>(name: K): VirtualFaults[K] | undefined {
    const value = this.currentFaults[name];
    if (value !== undefined) {
      const rest = { ...this.currentFaults };
      delete rest[name];
      this.currentFaults = rest;
    }
    return value;
  }

  /** Test knob: make one part of the self-test fail (null: all pass). */
  setFailingSelftestPart(part: SelftestPart | null): void {
    this.failingPart = part;
  }

  /** Test knob: put a different battery in. */
  setBatteryVolts(volts: number): void {
    this.batteryAtBootVolts = clamp(volts, 3.0, 4.2);
    this.bootedAt = this.clock();
  }

  get uptimeMs(): number {
    return Math.max(0, Math.floor(this.clock() - this.bootedAt));
  }

  /**
   * Power the node up on this link and serve it until the link closes or stop() is called.
   * Attaching again after that is the cable going back in: the node kept running (it has its
   * own battery), so there is no banner and RAM state such as an interrupted upload survives.
   */
  attach(link: Link): void {
    if (this.link) throw new Error('the simulator is already attached to a link');
    const paced = this.lineRateBaud !== undefined ? new LineRateLink(link, this.lineRateBaud) : link;
    this.link = paced;
    this.stopped = false;
    link.onClose(() => {
      this.stop();
      if (this.link === paced) this.link = null;
    });
    this.lineBuffer = '';
    this.smp.lineBroken();
    if (!this.poweredOn) {
      this.poweredOn = true;
      this.bootedAt = this.clock();
      if (this.currentMode === 'application') void this.printBanner(this.bootEpoch);
    } else if (this.booting) {
      // Unplugged while resetting: the reset finishes now.
      void this.bootUp(++this.bootEpoch);
    }
    void this.serve(paced);
    // Plugged back in with the node running: its logging goes on.
    if (!this.booting) this.logger.resume();
  }

  /** Reset the MCU: it goes deaf for a moment, then boots again with a fresh uptime. */
  reboot(cause: ResetCause): void {
    this.resetCause = cause;
    const epoch = ++this.bootEpoch;
    this.booting = true;
    this.lineBuffer = '';
    this.lastWasCarriageReturn = false;
    this.stalledUntil = 0;
    this.afterPrompt = null;
    this.logger.reset();
    this.smp.reset();
    this.after(REBOOT_SILENCE_MS, () => {
      if (epoch !== this.bootEpoch || this.stopped) return;
      void this.bootUp(epoch);
    });
  }

  /**
   * MCUboot runs: serial recovery when asked for, otherwise its swap rules, then the
   * application if the primary slot holds a valid image (or recovery when it does not).
   */
  private async bootUp(epoch: number): Promise<void> {
    if (this.recoveryRequested) {
      this.recoveryRequested = false;
      this.currentMode = 'serial-recovery';
    } else {
      const pending = this.slots.nextSwapType();
      const refuse = (pending === 'test' || pending === 'perm') && this.takeFault('refuseImage') === true;
      this.lastBootResult = await this.slots.boot(refuse ? { refuse: 'signature' } : {});
      this.currentMode = this.slots.image(0)?.hashOk ? 'application' : 'serial-recovery';
    }
    if (epoch !== this.bootEpoch || this.stopped) return;
    this.bootedAt = this.clock();
    this.booting = false;
    if (this.currentMode === 'application') {
      await this.printBanner(epoch);
      this.logger.resume();
    }
  }

  /** Stop serving; the link is left to whoever opened it. */
  stop(): void {
    this.stopped = true;
    this.bootEpoch++;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  // ------------------------------------------------------------------ shell

  private async serve(link: Link): Promise<void> {
    while (!this.stopped && link.isOpen) {
      let chunk: Uint8Array;
      try {
        chunk = await link.read(1_000);
      } catch {
        break; // link gone
      }
      // The cable is pulled (dropAtReceivedBytes) or the power goes (powerLossAtReceivedBytes),
      // whichever comes first, once that many bytes have come in since the knob was armed.
      const cut = this.unplugPoint(chunk.length);
      if (cut) chunk = chunk.subarray(0, Math.max(0, cut.at - this.bytesReceivedSinceDropArmed));
      this.bytesReceivedSinceDropArmed += chunk.length;
      await this.receive(chunk);
      if (cut) {
        // What arrived before the cut is answered before the line goes.
        await this.smp.idle();
        this.takeFault(cut.knob);
        // Power gone: the MCU is down until power comes back with the cable, then boots through MCUboot.
        if (cut.knob === 'powerLossAtReceivedBytes') this.reboot('power-on');
        this.stop();
        await link.close().catch(() => undefined);
        return;
      }
    }
  }

  /** Where an armed unplug or power loss falls within the next `length` bytes received, if it does. */
  private unplugPoint(length: number): { knob: 'dropAtReceivedBytes' | 'powerLossAtReceivedBytes'; at: number } | null {
    let first: { knob: 'dropAtReceivedBytes' | 'powerLossAtReceivedBytes'; at: number } | null = null;
    for (const knob of ['powerLossAtReceivedBytes', 'dropAtReceivedBytes'] as const) {
      const at = this.currentFaults[knob];
      if (at === undefined || this.bytesReceivedSinceDropArmed + length < at) continue;
      if (first === null || at < first.at) first = { knob, at };
    }
    return first;
  }

  private async receive(chunk: Uint8Array): Promise<void> {
    const epoch = this.bootEpoch;
    // A resetting MCU, a hung one or a stalled one loses what is sent to it.
    if (this.booting || this.currentFaults.silent || performance.now() < this.stalledUntil) return;
    const { packets, text } = this.smp.split(chunk);
    if (this.currentMode === 'application') {
      for (const byte of text) {
        if (this.stopped) return;
        // A reset empties the UART's receive buffer: the rest of this chunk is lost with it.
        if (epoch !== this.bootEpoch) return;
        await this.onByte(byte);
      }
    }
    for (const packet of packets) {
      if (this.stopped || epoch !== this.bootEpoch) return;
      const stallMs = this.takeFault('stallMs');
      if (stallMs !== undefined) {
        this.stalledUntil = performance.now() + stallMs;
        return;
      }
      // Handed to the SMP work queue, so the UART goes on receiving while a request is handled.
      this.smp.take(packet, (frames) => this.send(frames, epoch));
    }
  }

  private async onByte(byte: number): Promise<void> {
    const epoch = this.bootEpoch;
    const afterCarriageReturn = this.lastWasCarriageReturn;
    this.lastWasCarriageReturn = byte === 0x0d;
    if (byte === 0x0a && afterCarriageReturn) return;
    if (byte === 0x0d || byte === 0x0a) {
      const line = this.lineBuffer;
      this.lineBuffer = '';
      await this.send('\r\n', epoch);
      await this.execute(line, epoch);
      return;
    }
    if (byte === 0x08 || byte === 0x7f) {
      if (this.lineBuffer.length > 0) {
        this.lineBuffer = this.lineBuffer.slice(0, -1);
        await this.send('\u001b[1D\u001b[K', epoch);
      }
      return;
    }
    // Zephyr's shell ignores other control characters; printable ASCII is echoed.
    if (byte < 0x20 || byte >= 0x7f) return;
    const character = String.fromCharCode(byte);
    this.lineBuffer += character;
    await this.send(character, epoch);
  }

  private async execute(line: string, epoch: number): Promise<void> {
    const words = line.trim().split(/\s+/).filter((w) => w !== '');
    if (words.length === 0) {
      await this.send(promptText(), epoch);
      return;
    }
    if (this.currentFaults.answerDelayMs) await this.sleep(this.currentFaults.answerDelayMs);
    if (epoch !== this.bootEpoch) return;
    await this.maybeSendGarbage(epoch);

    const answer = await this.answer(words, epoch);
    if (answer === 'rebooting' || epoch !== this.bootEpoch) return;
    for (const out of answer) {
      const text = out.error ? `${RED}${out.text}${RESET}\r\n` : `${out.text}\r\n`;
      await this.send(text, epoch);
    }
    await this.send(promptText(), epoch);
    this.runAfterPrompt(epoch);
  }

  private runAfterPrompt(epoch: number): void {
    const work = this.afterPrompt;
    this.afterPrompt = null;
    if (work && epoch === this.bootEpoch) work();
  }

  private async answer(words: string[], epoch: number): Promise<OutputLine[] | 'rebooting'> {
    const [command, ...args] = words as [string, ...string[]];
    if (command === 'log' && args[0] === 'stream') return this.logStreamCommand(args.slice(1));
    if (command === 'log' && args[0] === 'flood') return this.logFloodCommand(args.slice(1));
    const key = words.join(' ');
    switch (key) {
      case 'device info':
        return plain([`model: sensor-node`, `serial: ${this.serialNumber}`, `firmware: ${this.firmwareVersion}`, 'hardware: rev C']);
      case 'kernel uptime':
        return plain([`Uptime: ${this.uptimeMs} ms`]);
      case 'battery': {
        const volts = this.batteryVolts();
        return plain([`voltage: ${volts.toFixed(2)} V`, `charge: ${chargePercent(volts)} %`]);
      }
      case 'sensor temp':
        return plain([`temperature: ${this.temperatureCelsius().toFixed(2)} C`]);
      case 'hwinfo reset_cause':
        return plain([`reset cause: ${this.resetCause}`]);
      case 'log errors': {
        const lines = this.errorLog.map((entry) => ({ text: `[${logTimestamp(entry.atMs)}] <err> ${entry.message}`, error: true }));
        return [...lines, { text: `errors: ${this.errorLog.length}`, error: false }];
      }
      case 'selftest': {
        await this.sleep(SELFTEST_DURATION_MS);
        if (epoch !== this.bootEpoch) return 'rebooting';
        const parts: SelftestPart[] = ['flash', 'sensor', 'radio'];
        // The fault knob (set through the API) wins over the test knob of the constructor.
        const failing = this.currentFaults.failingSelftestPart ?? this.failingPart;
        const lines = parts.map((part) => `${part}: ${part === failing ? 'FAIL' : 'PASS'}`);
        return plain([...lines, `selftest: ${failing ? 'FAIL' : 'PASS'}`]);
      }
      case 'kernel reboot cold':
      case 'kernel reboot warm':
        this.reboot('software');
        return 'rebooting';
      case 'help':
        return plain([
          'Please press the <Tab> button to see all available commands.',
          'You can also use the <Tab> button to prompt or auto-complete all commands or its subcommands.',
          'You can try to call commands with <-h> or <--help> parameter for more information.',
          '',
          'Available commands:',
          ...COMMANDS.map((c) => `  ${c.name.padEnd(10)}: ${c.help}`),
        ]);
    }
    return this.badCommand(command, args);
  }

  /** `log stream on [lines-per-second]` and `log stream off`. */
  private logStreamCommand(args: string[]): OutputLine[] {
    const [action, rate, ...extra] = args;
    if (action === 'off' && rate === undefined) {
      this.logger.stopStream();
      return plain(['stream: off']);
    }
    if (action !== 'on') {
      if (action === undefined) return [shellError('stream: please specify a subcommand'), ...plain(['  on', '  off'])];
      return [shellError(action === 'off' ? 'off: wrong parameter count' : `stream: unknown parameter: ${action}`)];
    }
    if (extra.length > 0) return [shellError('on: wrong parameter count')];
    const linesPerSecond = rate === undefined ? DEFAULT_STREAM_LINES_PER_SECOND : wholeNumber(rate);
    if (linesPerSecond === null || linesPerSecond < 1 || linesPerSecond > MAX_STREAM_LINES_PER_SECOND) {
      return [shellError(`on: invalid rate: ${rate ?? ''} (1 to ${MAX_STREAM_LINES_PER_SECOND} lines a second)`)];
    }
    this.afterPrompt = () => this.logger.startStream(linesPerSecond);
    return plain([`stream: on, ${linesPerSecond} lines/s`]);
  }

  /** `log flood <count> [from <n>]` and `log flood stop`. */
  private logFloodCommand(args: string[]): OutputLine[] {
    if (args.length === 1 && args[0] === 'stop') {
      const next = this.logger.stopFlood();
      return plain([next === null ? 'flood: not running' : `flood: stopped before line ${next}`]);
    }
    const running = this.logger.floodProgress;
    if (running) return [shellError(`flood: already running, next line ${running.next} of ${running.last} (log flood stop ends it)`)];
    if (args.length !== 1 && !(args.length === 3 && args[1] === 'from')) return [shellError('flood: wrong parameter count')];
    const count = wholeNumber(args[0] ?? '');
    if (count === null || count < 1 || count > MAX_FLOOD_LINES) return [shellError(`flood: invalid count: ${args[0] ?? ''} (1 to ${MAX_FLOOD_LINES})`)];
    const first = args.length === 3 ? wholeNumber(args[2] ?? '') : 1;
    if (first === null || first < 1 || first > count) return [shellError(`flood: invalid start: ${args[2] ?? ''} (1 to ${count})`)];
    this.afterPrompt = () => this.logger.startFlood(first, count);
    return plain([`flood: lines ${first}..${count}`]);
  }

  /** What Zephyr's shell prints for a command it cannot run. */
  private badCommand(command: string, args: string[]): OutputLine[] {
    const subcommands: Record<string, string[]> = {
      device: ['info'],
      kernel: ['uptime', 'reboot'],
      hwinfo: ['reset_cause'],
      log: ['errors', 'stream', 'flood'],
      sensor: ['temp'],
    };
    if (!COMMANDS.some((c) => c.name === command)) return [shellError(`${command}: command not found`)];
    const known = subcommands[command];
    if (!known) return [shellError(`${command}: wrong parameter count`)];
    if (args.length === 0) {
      return [shellError(`${command}: please specify a subcommand`), ...plain(known.map((s) => `  ${s}`))];
    }
    const [first, ...rest] = args as [string, ...string[]];
    if (command === 'kernel' && first === 'reboot') {
      return rest.length === 0
        ? [shellError('reboot: please specify a subcommand'), ...plain(['  cold', '  warm'])]
        : [shellError(`reboot: unknown parameter: ${rest[0] ?? ''}`)];
    }
    if (known.includes(first)) return [shellError(`${first}: wrong parameter count`)];
    return [shellError(`${command}: unknown parameter: ${first}`)];
  }

  /** What the sensors read now, for the node's other interfaces (its BLE GATT services) than the shell. */
  readSensors(): { batteryVolts: number; batteryPercent: number; temperatureCelsius: number } {
    const volts = this.batteryVolts();
    return { batteryVolts: volts, batteryPercent: chargePercent(volts), temperatureCelsius: this.temperatureCelsius() };
  }

  /**
   * Run one command line as the shell would on another backend (Zephyr's shell over the BLE
   * UART service): the lines it prints, red ones marked as errors. Empty when the command
   * resets the node.
   */
  async runShellCommand(line: string): Promise<{ text: string; error: boolean }[]> {
    const words = line.trim().split(/\s+/).filter((w) => w !== '');
    if (words.length === 0) return [];
    const epoch = this.bootEpoch;
    const answer = await this.answer(words, epoch);
    this.runAfterPrompt(epoch);
    return answer === 'rebooting' ? [] : answer;
  }

  private temperatureCelsius(): number {
    return this.baseTemperature + (this.random() - 0.5) * 0.2;
  }

  private batteryVolts(): number {
    const drained = (this.currentFaults.batteryVolts ?? this.batteryAtBootVolts) - (this.uptimeMs / 1000) * DRAIN_VOLTS_PER_SECOND;
    return clamp(drained, 3.0, 4.2);
  }

  // ------------------------------------------------------------------ output

  private async printBanner(epoch: number): Promise<void> {
    await this.send(`${BOOT_BANNER}\r\n`, epoch);
    await this.send(promptText(), epoch);
  }

  /** Noise on the line: a burst of random bytes (invalid UTF-8, NULs and all) before the answer. */
  private async maybeSendGarbage(epoch: number): Promise<void> {
    const chance = this.currentFaults.garbage ?? 0;
    if (chance <= 0 || this.random() >= chance) return;
    const length = 4 + Math.floor(this.random() * 28);
    const noise = new Uint8Array(length + 2);
    noise.set(noiseBytes(this.random, length));
    // The burst ends the line it landed on, as noise between two frames does on a real UART.
    noise[length] = 0x0d;
    noise[length + 1] = 0x0a;
    await this.send(noise, epoch);
  }

  /** Shell, bootloader and SMP output: whatever it ends with says whether a line is left open. */
  private send(data: string | Uint8Array, epoch: number): Promise<void> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (bytes.length > 0) {
      this.shellLineOpen = bytes[bytes.length - 1] !== 0x0a;
      this.promptCleared = false;
    }
    // The write's own promise, not one more await around it: SMP and the shell's timing stay as they were.
    return this.transmit(bytes, epoch);
  }

  /** The logging thread's output: the shell's open line is cleared first (carriage return, erase line). */
  private sendLog(bytes: Uint8Array, epoch: number): Promise<void> {
    // One write, queued at once: the logger pipelines its writes and counts on their order.
    if (!this.shellLineOpen || bytes.length === 0) return this.transmit(bytes, epoch);
    this.shellLineOpen = false;
    this.promptCleared = true;
    const cleared = new Uint8Array(ERASE_LINE.length + bytes.length);
    cleared.set(ERASE_LINE);
    cleared.set(bytes, ERASE_LINE.length);
    return this.transmit(cleared, epoch);
  }

  private async redrawPrompt(epoch: number): Promise<void> {
    if (this.promptCleared && epoch === this.bootEpoch) await this.send(promptText(), epoch);
  }

  private async transmit(data: Uint8Array, epoch: number): Promise<void> {
    const link = this.link;
    if (!link || this.stopped || epoch !== this.bootEpoch || this.currentFaults.silent) return;
    let bytes = data;
    const dropAfter = this.currentFaults.dropAfterBytes;
    let unplug = false;
    if (dropAfter !== undefined && this.bytesSentSinceDropArmed + bytes.length >= dropAfter) {
      bytes = bytes.subarray(0, Math.max(0, dropAfter - this.bytesSentSinceDropArmed));
      unplug = true;
    }
    this.bytesSentSinceDropArmed += bytes.length;
    try {
      if (bytes.length > 0) await link.write(bytes);
    } catch {
      this.stop();
      return;
    }
    if (unplug) {
      this.stop();
      await link.close().catch(() => undefined);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  private after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }
}

interface OutputLine {
  text: string;
  /** Printed in red, as Zephyr prints shell errors and <err> log lines. */
  error: boolean;
}

function plain(lines: string[]): OutputLine[] {
  return lines.map((text) => ({ text, error: false }));
}

function shellError(text: string): OutputLine {
  return { text, error: true };
}

/** A decimal count as the shell takes it; null for anything else. */
function wholeNumber(text: string): number | null {
  return /^\d{1,10}$/.test(text) ? Number(text) : null;
}

/** Carriage return and erase to the end of the line (VT100 EL 0). */
const ERASE_LINE = new TextEncoder().encode('\r\u001b[K');

function promptText(): string {
  return `${GREEN}${SHELL_PROMPT}${RESET}`;
}

function chargePercent(volts: number): number {
  let previous = CHARGE_CURVE[0] ?? [3.0, 0];
  for (const point of CHARGE_CURVE) {
    if (volts <= point[0]) {
      const span = point[0] - previous[0];
      const fraction = span > 0 ? (volts - previous[0]) / span : 1;
      return Math.round(previous[1] + fraction * (point[1] - previous[1]));
    }
    previous = point;
  }
  return 100;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
