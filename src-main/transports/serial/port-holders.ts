// Who holds a serial port: when opening fails because the port is locked, the most useful
// hint names the program ("screen (pid 4242)") so the user knows which window to close.
// Linux only, best effort: /proc shows other users' descriptors only to root, and any
// failure just means we cannot name the holder.
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { join } from 'node:path';

/** How long the /proc walk may take before we give up on naming the holder. */
const SEARCH_DEADLINE_MS = 500;

/** "screen (pid 4242)", "screen (pid 4242) and minicom (pid 77)", or null when nobody can be named. */
export async function describePortHolders(portPath: string, procRoot = '/proc'): Promise<string | null> {
  const holders = await findPortHolders(portPath, procRoot).catch(() => []);
  if (holders.length === 0) return null;
  const names = holders.slice(0, 3).map((h) => `${h.name} (pid ${h.pid})`);
  return names.length === 1 ? (names[0] ?? null) : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}

export async function findPortHolders(portPath: string, procRoot = '/proc'): Promise<{ pid: number; name: string }[]> {
  const target = await realpath(portPath).catch(() => portPath);
  const deadline = Date.now() + SEARCH_DEADLINE_MS;
  const pids = (await readdir(procRoot)).filter((entry) => /^\d+$/.test(entry));
  const holders: { pid: number; name: string }[] = [];
  for (const pid of pids) {
    if (Date.now() > deadline) break;
    const fdDir = join(procRoot, pid, 'fd');
    const fds = await readdir(fdDir).catch(() => [] as string[]);
    for (const fd of fds) {
      const linked = await readlink(join(fdDir, fd)).catch(() => null);
      if (linked === target) {
        // Our own process shows up as "node" or "electron", which would only confuse.
        const name =
          Number(pid) === process.pid
            ? 'Fieldbench itself'
            : (await readFile(join(procRoot, pid, 'comm'), 'utf8').catch(() => 'a process')).trim();
        holders.push({ pid: Number(pid), name });
        break;
      }
    }
  }
  return holders;
}
