// What the rest of the machine did while a tray ran, from /proc (Linux): how busy its cores
// were in all, and how much of that the units' own processes took (each node and the socat
// behind its pseudo-terminal). With the station's own CPU beside it, this tells a station that
// is slow from a machine that is full.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface MachineUsage {
  /** Busy share of all cores over the window, 0..1 (1 = every core busy all the time). */
  busy: number;
  cores: number;
  /** CPU time of the given processes and all their descendants over the window. */
  treeCpuMs: number;
  treeProcesses: number;
}

interface CpuTimes {
  busy: number;
  total: number;
  cores: number;
}

function cpuTimes(): CpuTimes {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const fields = (lines[0] ?? '').trim().split(/\s+/u).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  // idle and iowait: the core had nothing to run.
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total, cores: lines.filter((line) => /^cpu\d/u.test(line)).length };
}

/** utime + stime in ticks, and the parent pid; null once gone. */
function processStat(pid: number): { ticks: number; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces; the fields after it are plain.
    const after = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
    const ppid = after[1] ?? 0;
    // Field 14 (utime) and 15 (stime) of proc(5), counted from field 3 (state) here.
    const ticks = (after[11] ?? 0) + (after[12] ?? 0);
    return { ticks, ppid };
  } catch {
    return null;
  }
}

/** The processes and every descendant of them now running. */
function processTree(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/u.test(entry)) continue;
    const stat = processStat(Number(entry));
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const pending = [...roots];
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** From now until stop: the machine's cores, and the CPU of the process trees under `roots`. */
export function sampleMachineUsage(roots: number[]): { stop(): MachineUsage } {
  const startCpu = cpuTimes();
  const tree = processTree(roots);
  const startTicks = new Map(tree.map((pid) => [pid, processStat(pid)?.ticks ?? 0]));
  return {
    stop: () => {
      const endCpu = cpuTimes();
      // A process that ended meanwhile took its times with it; the units' processes outlive the window.
      const ticks = tree.reduce((sum, pid) => sum + Math.max(0, (processStat(pid)?.ticks ?? 0) - (startTicks.get(pid) ?? 0)), 0);
      const total = endCpu.total - startCpu.total;
      return {
        busy: total > 0 ? (endCpu.busy - startCpu.busy) / total : 0,
        cores: endCpu.cores,
        treeCpuMs: (ticks * 1000) / TICKS_PER_SECOND,
        treeProcesses: tree.length,
      };
    },
  };
}
