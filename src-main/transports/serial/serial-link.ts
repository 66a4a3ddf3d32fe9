// A serial port as a Link, over the serialport package: USB-serial adapters, CDC ACM
// devices and pseudo-terminals alike. Opening fails with an error that says what to do
// (plug it in, join 'dialout', close the other program); a port that vanishes while open
// (unplugged cable, adapter reset) is reported as lost, not left hanging.
import { stat } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import { FieldbenchError } from '../../api/errors';
import { BufferedLink } from '../buffered-link';
import type { Link, LinkCloseReason } from '../link';
import { describePortHolders } from './port-holders';

export interface SerialLinkOptions {
  baudRate: number;
  /** UART framing; 8N1 without flow control when not given. */
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits?: 1 | 1.5 | 2;
  flowControl?: 'none' | 'rts-cts' | 'xon-xoff';
  /** Deadline for the open call itself; a wedged driver can block it. */
  openTimeoutMs?: number;
}

/** Bytes kept for a reader that is not reading (a device streaming logs between commands). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const DEFAULT_OPEN_TIMEOUT_MS = 5_000;
/** How often the port's device node is checked while the link is open. */
const PRESENCE_CHECK_MS = 200;
const CLOSE_TIMEOUT_MS = 3_000;

export async function openSerialLink(path: string, options: SerialLinkOptions): Promise<Link> {
  const openTimeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  const flow = options.flowControl ?? 'none';
  const port = new SerialPort({
    path,
    baudRate: options.baudRate,
    dataBits: options.dataBits ?? 8,
    parity: options.parity ?? 'none',
    stopBits: options.stopBits ?? 1,
    rtscts: flow === 'rts-cts',
    xon: flow === 'xon-xoff',
    xoff: flow === 'xon-xoff',
    autoOpen: false,
    lock: true,
  });
  // Until the link takes over, an 'error' event must not become an uncaught exception.
  const earlyErrors = (): void => {};
  port.on('error', earlyErrors);

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(
        new FieldbenchError({
          code: 'timeout',
          message: `the port did not open within ${openTimeoutMs} ms`,
          device: path,
          step: 'open port',
          hint: 'Unplug the device and plug it in again; if it keeps happening, its USB-serial driver may be stuck.',
        }),
      );
    }, openTimeoutMs);
    port.open((error) => {
      if (settled) {
        // Opened after we gave up: nobody will use it, so let it go again.
        if (!error) port.close(() => undefined);
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (!error) resolve();
      else describeOpenError(path, error).then(reject, () => reject(openErrorFor(path, error, null)));
    });
  });

  // Taken right after opening, so a different device later given the same name is told apart.
  const identity = await stat(path).then(
    (s) => ({ dev: s.rdev, ino: s.ino }),
    () => null,
  );
  const link = new SerialLink(path, port, identity);
  port.off('error', earlyErrors);
  return link;
}

class SerialLink extends BufferedLink {
  private closingByUs = false;
  private readonly closed: Promise<void>;
  private markClosed!: () => void;
  private presenceTimer: ReturnType<typeof setInterval> | null = null;
  /** Why we closed the port ourselves on the device's behalf (its node vanished). */
  private vanished: string | null = null;
  /**
   * Writes handed to serialport whose callback has not come. A write that reaches the
   * stream once its close has begun (or waits behind one that does) is parked until the
   * port opens again, which this port never does: without this its caller would wait
   * forever (an SMP request sent the moment the device is detached, say).
   */
  private readonly unsettledWrites = new Set<(error: unknown) => void>();

  constructor(
    label: string,
    private readonly port: SerialPort,
    identity: { dev: number; ino: number } | null,
  ) {
    super(label, MAX_BUFFERED_BYTES);
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    if (identity) this.watchPresence(identity);
    port.on('data', (chunk: Buffer) => this.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    port.on('close', (error: (Error & { disconnected?: boolean }) | null) => {
      if (this.vanished !== null) this.shut({ kind: 'lost', message: this.vanished });
      else if (this.closingByUs && !error) this.shut({ kind: 'closed-by-us' });
      else this.shut({ kind: 'lost', message: lossMessage(error) });
    });
    port.on('error', (error: Error) => {
      // serialport reports most vanishing ports through 'close'; anything else that breaks
      // the port also means it can no longer be used.
      if (!port.isOpen) this.shut({ kind: 'lost', message: lossMessage(error) });
    });
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.reject(this.goneError('write'));
    return new Promise((resolve, reject) => {
      this.unsettledWrites.add(reject);
      this.port.write(Buffer.from(data), (error) => {
        if (!this.unsettledWrites.delete(reject)) return; // already failed by the close
        if (!error) {
          resolve();
          return;
        }
        // EIO and friends on a tty mean the other end is gone (a USB adapter unplugged, the far
        // side of a pseudo-terminal closed), often before the presence check has seen it.
        if (this.isOpen && hungUp(error)) {
          const message = `writing failed: ${error.message}`;
          this.portVanished(message);
          this.shut({ kind: 'lost', message });
        }
        reject(!this.isOpen ? this.goneError('write') : this.writeError(error));
      });
    });
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.closingByUs = true;
    if (!this.port.isOpen) {
      this.shut({ kind: 'closed-by-us' });
      return;
    }
    this.port.close((error) => {
      // A close that fails leaves nothing we can use either; count it as closed.
      if (error) this.shut({ kind: 'closed-by-us' });
    });
    // A driver wedged in close() must not hold the caller forever.
    const deadline = setTimeout(() => this.shut({ kind: 'closed-by-us' }), CLOSE_TIMEOUT_MS);
    await this.closed;
    clearTimeout(deadline);
  }

  /**
   * serialport does not always notice a port that goes away: when the kernel hangs the tty
   * up, read() returns 0 and serialport retries it forever instead of reporting a
   * disconnect. The device node disappearing (USB unplug, the far end of a pseudo-terminal
   * closing) is the dependable sign, so it is checked while the link is open.
   */
  private watchPresence(identity: { dev: number; ino: number }): void {
    let checking = false;
    this.presenceTimer = setInterval(() => {
      if (checking || !this.isOpen) return;
      checking = true;
      stat(this.label).then(
        (now) => {
          checking = false;
          if (now.rdev !== identity.dev || now.ino !== identity.ino) this.portVanished('the port was replaced by another device');
        },
        (error: NodeJS.ErrnoException) => {
          checking = false;
          if (error.code === 'ENOENT' || error.code === 'ENODEV' || error.code === 'ENXIO') this.portVanished('the port disappeared (device unplugged?)');
        },
      );
    }, PRESENCE_CHECK_MS);
    this.presenceTimer.unref();
  }

  private portVanished(message: string): void {
    if (!this.isOpen || this.vanished !== null) return;
    this.vanished = message;
    if (this.port.isOpen) this.port.close((error) => error && this.shut({ kind: 'lost', message }));
    else this.shut({ kind: 'lost', message });
  }

  protected override shut(reason: LinkCloseReason): boolean {
    if (!super.shut(reason)) return false;
    const unsettled = [...this.unsettledWrites];
    this.unsettledWrites.clear();
    for (const reject of unsettled) reject(this.goneError('write'));
    if (this.presenceTimer) clearInterval(this.presenceTimer);
    this.markClosed();
    this.port.removeAllListeners('data');
    // Late errors from a dead port have nobody to tell; keep them from crashing the process.
    this.port.on('error', () => undefined);
    return true;
  }

  protected describeClosed(reason: LinkCloseReason): { message: string; hint: string } {
    return reason.kind === 'lost'
      ? { message: `the port went away (${reason.message})`, hint: 'Check the USB cable and that the device is powered, then open the port again.' }
      : { message: 'the port is closed', hint: 'Open the port again.' };
  }

  private writeError(error: Error): FieldbenchError {
    return new FieldbenchError(
      {
        code: 'device-error',
        message: `writing to the port failed: ${error.message}`,
        device: this.label,
        hint: 'Unplug the device and plug it in again.',
      },
      { cause: error },
    );
  }
}

function hungUp(error: Error): boolean {
  return /\b(EIO|ENXIO|ENODEV)\b/.test(`${(error as { code?: string }).code ?? ''} ${error.message}`);
}

function lossMessage(error: Error | null | undefined): string {
  return error ? `the port closed unexpectedly: ${error.message}` : 'the port closed unexpectedly';
}

/** The error serialport gave when opening, turned into one a person can act on. */
export async function describeOpenError(path: string, error: Error): Promise<FieldbenchError> {
  const holders = classifyOpenError(error) === 'busy' ? await describePortHolders(path) : null;
  return openErrorFor(path, error, holders);
}

type OpenFailure = 'missing' | 'denied' | 'busy' | 'other';

function classifyOpenError(error: Error): OpenFailure {
  const text = `${(error as { code?: string }).code ?? ''} ${error.message}`;
  if (/ENOENT|ENXIO|ENODEV|No such file|No such device/i.test(text)) return 'missing';
  if (/EACCES|EPERM|Permission denied|Operation not permitted/i.test(text)) return 'denied';
  if (/EBUSY|EAGAIN|EWOULDBLOCK|busy|Cannot lock port|temporarily unavailable/i.test(text)) return 'busy';
  return 'other';
}

/** Pure mapping from serialport's open error to ours; `holders` names programs holding the port. */
export function openErrorFor(path: string, error: Error, holders: string | null): FieldbenchError {
  const base = { device: path, step: 'open port' } as const;
  switch (classifyOpenError(error)) {
    case 'missing':
      return new FieldbenchError(
        {
          ...base,
          code: 'not-found',
          message: 'the port does not exist',
          hint: 'Check that the device is plugged in and powered; the port name can change when it is plugged in again.',
        },
        { cause: error },
      );
    case 'denied':
      return new FieldbenchError(
        {
          ...base,
          // Not 'forbidden': that code is about callers of the API, this is the operating system.
          code: 'unavailable',
          message: 'permission to open the port was denied',
          hint: "Add your user to the 'dialout' group (sudo usermod -aG dialout $USER, then log in again) or add a udev rule for the device.",
        },
        { cause: error },
      );
    case 'busy':
      return new FieldbenchError(
        {
          ...base,
          code: 'device-busy',
          message: holders ? `the port is in use by ${holders}` : 'the port is in use by another program',
          hint: holders
            ? `Close ${holders} (a terminal program such as screen, minicom or picocom holds the port while it runs), then try again.`
            : 'Close the other program that has it open (a terminal such as screen, minicom or picocom, or another Fieldbench window), then try again.',
        },
        { cause: error },
      );
    case 'other':
      return new FieldbenchError(
        {
          ...base,
          code: 'device-error',
          message: `the port could not be opened: ${error.message}`,
          hint: 'Unplug the device and plug it in again; check that the baud rate is one the adapter supports.',
        },
        { cause: error },
      );
  }
}
