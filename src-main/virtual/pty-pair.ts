// A pseudo-terminal pair made by socat: two /dev/pts ports joined back to back, so a
// virtual device can sit on one end and anything that opens serial ports (Fieldbench's own
// serial link, screen, minicom) can talk to it through the other. The host end can also be
// given a fixed name (a symlink to its /dev/pts/N, made and removed by socat), as
// /dev/serial/by-id/... names a USB-serial adapter whichever ttyUSBn it gets.
import { spawn } from 'node:child_process';
import { lstat, mkdir, readlink, stat, unlink } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { FieldbenchError } from '../api/errors';

export interface PtyPair {
  /** The end the virtual device opens. */
  devicePath: string;
  /** The end a host program opens, as it would open /dev/ttyUSB0 (/dev/pts/N). */
  hostPath: string;
  /** The fixed name of the host end when one was asked for (a symlink to hostPath), else null. */
  hostLink: string | null;
  /** Stop socat and wait for it to exit; both ports disappear. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const EXIT_DEADLINE_MS = 2_000;
const SOCAT_HINT = 'Install socat (Debian/Ubuntu: sudo apt install socat) or attach the virtual device in memory';

export interface PtyPairOptions {
  timeoutMs?: number;
  socatPath?: string;
  /**
   * A fixed path for the host end: socat links it to the /dev/pts/N it gets and removes the
   * link when it exits. A stale link left by a killed socat is replaced; a live one (another
   * pair uses the name) is refused.
   */
  hostLink?: string;
}

export async function openPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const hostLink = options.hostLink === undefined ? null : resolvePath(options.hostLink);
  if (hostLink !== null) await prepareLink(hostLink);
  return spawnPair(options, hostLink);
}

function spawnPair(options: PtyPairOptions, hostLink: string | null): Promise<PtyPair> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const step = 'create pseudo-terminal pair';
  const hostAddress = hostLink === null ? 'pty,raw,echo=0' : `pty,raw,echo=0,link=${hostLink}`;
  return new Promise<PtyPair>((resolve, reject) => {
    // -d -d makes socat print "PTY is /dev/pts/N" for each end, and then the start of its
    // transfer loop, after which bytes flow.
    const socat = spawn(options.socatPath ?? 'socat', ['-d', '-d', 'pty,raw,echo=0', hostAddress], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let settled = false;
    let closing: Promise<void> | null = null;
    const exited = new Promise<void>((done) => socat.once('exit', () => done()));

    const fail = (error: FieldbenchError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (socat.exitCode === null && socat.signalCode === null) socat.kill('SIGKILL');
      reject(error);
    };

    const timer = setTimeout(() => {
      fail(
        new FieldbenchError({
          code: 'timeout',
          message: `socat did not report its two pseudo-terminals within ${timeoutMs} ms${stderr ? `: ${lastLine(stderr)}` : ''}`,
          device: 'socat',
          step,
          hint: 'Check that socat works (socat -V) and that /dev/pts is mounted.',
        }),
      );
    }, timeoutMs);

    socat.once('error', (error: NodeJS.ErrnoException) => {
      fail(
        error.code === 'ENOENT'
          ? new FieldbenchError({ code: 'unavailable', message: 'socat is not installed', device: 'socat', step, hint: SOCAT_HINT }, { cause: error })
          : new FieldbenchError({ code: 'unavailable', message: `socat could not be started: ${error.message}`, device: 'socat', step, hint: SOCAT_HINT }, { cause: error }),
      );
    });
    socat.once('exit', (code, signal) => {
      fail(
        new FieldbenchError({
          code: 'unavailable',
          message: `socat exited (${signal ?? `code ${code}`}) before the pseudo-terminals were ready${stderr ? `: ${lastLine(stderr)}` : ''}`,
          device: 'socat',
          step,
          hint: SOCAT_HINT,
        }),
      );
    });

    socat.stderr.setEncoding('utf8');
    socat.stderr.on('data', (text: string) => {
      // Keep reading for the life of the process so socat never blocks on a full pipe.
      if (settled) return;
      stderr += text;
      const paths = [...stderr.matchAll(/PTY is (\S+)/g)].map((m) => m[1] ?? '');
      if (paths.length < 2 || !/starting data transfer loop/.test(stderr)) return;
      settled = true;
      clearTimeout(timer);
      const [devicePath, hostPath] = paths as [string, string];
      resolve({
        devicePath,
        hostPath,
        hostLink,
        // One SIGTERM only, however many callers close: socat gives up its clean-up (the link
        // among it) when a second signal arrives while it handles the first.
        close: () =>
          (closing ??= (async () => {
            if (socat.exitCode !== null || socat.signalCode !== null) return;
            socat.kill('SIGTERM');
            const stopped = await Promise.race([exited.then(() => true), delay(EXIT_DEADLINE_MS).then(() => false)]);
            if (!stopped) {
              socat.kill('SIGKILL');
              await Promise.race([exited, delay(EXIT_DEADLINE_MS)]);
              // Killed, socat could not remove its link: do it, if the link is still ours.
              if (hostLink !== null && (await readlink(hostLink).catch(() => null)) === hostPath) await unlink(hostLink).catch(() => undefined);
            }
          })()),
      });
    });
  });
}

/**
 * Make room for the link: its folder exists, and nothing live sits at its name. Only a
 * symbolic link is ever removed, and only one whose pseudo-terminal is gone.
 */
async function prepareLink(path: string): Promise<void> {
  const step = 'create pseudo-terminal pair';
  await mkdir(dirname(path), { recursive: true });
  const existing = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (existing === null) return;
  if (!existing.isSymbolicLink()) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `${path} exists and is not a link to a pseudo-terminal`,
      device: path,
      step,
      hint: 'Choose another path for the virtual device, or remove that file.',
    });
  }
  const target = await readlink(path).catch(() => '');
  const live = await stat(path).then(
    (s) => s.isCharacterDevice(),
    () => false,
  );
  if (live) {
    throw new FieldbenchError({
      code: 'device-busy',
      message: `another virtual device is on ${path} (${target})`,
      device: path,
      step,
      hint: 'Stop the other virtual device (fieldbench sim) or give this one another seed or path.',
    });
  }
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
