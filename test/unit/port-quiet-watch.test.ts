// The quiet a partial line waits for is judged on a clock the watch is handed: quiet seen on
// time ends the line once, data starts the wait again, and a late tick (the thread stalled,
// bytes may be queued behind it) proves no quiet.
import { describe, expect, it } from 'vitest';
import { PortQuietWatch, type QuietTimers } from '../../src-main/core/console/port-quiet-watch';

/** Timers on a clock that moves only when told; a tick can be made to fire late, as after a stall. */
class ManualTimers implements QuietTimers {
  time = 0;
  private due: { at: number; run: () => void; id: number }[] = [];
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimeout(run: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.due.push({ at: this.time + ms, run, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.due = this.due.filter((timer) => timer.id !== handle);
  }

  get pending(): number {
    return this.due.length;
  }

  /** Moves the clock on by `ms`, firing each timer when it is due (`delay` later when given: a stalled thread). */
  advance(ms: number, delay = 0): void {
    const end = this.time + ms;
    for (;;) {
      this.due.sort((a, b) => a.at - b.at);
      const next = this.due[0];
      if (!next || next.at + delay > end) break;
      this.due.shift();
      this.time = next.at + delay;
      next.run();
    }
    this.time = end;
  }
}

function watch(): { timers: ManualTimers; quiet: PortQuietWatch; ended: number[] } {
  const timers = new ManualTimers();
  const ended: number[] = [];
  const quiet = new PortQuietWatch(() => ended.push(timers.now()), { quietMs: 250, tickMs: 50, lateMs: 30, timers });
  return { timers, quiet, ended };
}

describe('port quiet watch', () => {
  it('does not tick before any data', () => {
    const { timers, quiet, ended } = watch();
    timers.advance(10_000);
    expect(timers.pending).toBe(0);
    expect(quiet.watching).toBe(false);
    expect(ended).toEqual([]);
  });

  it('ends the line once after quiet seen on time, then stops ticking until data comes again', () => {
    const { timers, quiet, ended } = watch();
    quiet.data();
    timers.advance(249);
    expect(ended).toEqual([]);
    timers.advance(1);
    expect(ended).toEqual([250]);
    expect(timers.pending).toBe(0);
    timers.advance(10_000);
    expect(ended).toEqual([250]);
    quiet.data();
    timers.advance(300);
    expect(ended).toEqual([250, 10_500]);
  });

  it('starts the wait again on each arrival of data', () => {
    const { timers, quiet, ended } = watch();
    quiet.data();
    for (let i = 0; i < 20; i++) {
      timers.advance(120);
      quiet.data();
    }
    expect(ended).toEqual([]);
    timers.advance(300);
    expect(ended).toHaveLength(1);
    expect(ended[0]! - 2400).toBeGreaterThanOrEqual(250);
  });

  it('takes a late tick for a stall and counts the quiet again from it', () => {
    const { timers, quiet, ended } = watch();
    quiet.data();
    timers.advance(100);
    // The thread stalls for 400 ms: the tick due at 150 fires at 550, and proves no quiet.
    timers.advance(450, 400);
    expect(ended).toEqual([]);
    timers.advance(249);
    expect(ended).toEqual([]);
    timers.advance(50);
    expect(ended).toHaveLength(1);
    expect(ended[0]! - 550).toBeGreaterThanOrEqual(250);
  });

  it('a tick late by no more than the allowance still counts', () => {
    const { timers, quiet, ended } = watch();
    quiet.data();
    timers.advance(400, 20);
    expect(ended).toHaveLength(1);
  });

  it('stops: no timer left and no call after it', () => {
    const { timers, quiet, ended } = watch();
    quiet.data();
    timers.advance(100);
    quiet.stop();
    expect(timers.pending).toBe(0);
    expect(quiet.watching).toBe(false);
    timers.advance(10_000);
    expect(ended).toEqual([]);
  });
});
