// Every combination of kind, level, known issue, reboot and continuation survives the trip
// through a record's flag byte, and only uses the bits the capture file leaves its caller.
import { describe, expect, it } from 'vitest';
import type { ConsoleLevel } from '../../src-main/api/console-schemas';
import {
  isDeviceRecord,
  isFlaggedRecord,
  levelKeepTable,
  packDeviceFlags,
  packOwnFlags,
  recordKind,
  recordLevelOf,
  unpackFlags,
} from '../../src-main/core/logs/capture-record-flags';
import { CALLER_FLAGS_MASK, LogRecordFlag } from '../../src-main/core/logs/log-capture-format';

const levels: (ConsoleLevel | null)[] = [null, 'error', 'warn', 'info', 'debug', 'trace'];

describe('capture record flags', () => {
  it('round-trips every device line combination within the caller bits', () => {
    const seen = new Set<number>();
    for (const level of levels) {
      for (const knownIssue of [false, true]) {
        for (const reboot of [false, true]) {
          for (const continuation of [false, true]) {
            const flags = packDeviceFlags(level, knownIssue, reboot, continuation);
            expect(flags & ~CALLER_FLAGS_MASK).toBe(0);
            expect(unpackFlags(flags)).toEqual({ kind: 'device', level, knownIssue, reboot, continuation });
            expect(recordLevelOf(flags)).toBe(level);
            expect(isFlaggedRecord(flags)).toBe(knownIssue);
            // A record's truncated bit from the file never changes what it is.
            expect(unpackFlags(flags | LogRecordFlag.truncated)).toEqual(unpackFlags(flags));
            seen.add(flags);
          }
        }
      }
    }
    expect(seen.size).toBe(levels.length * 8);
  });

  it('tells Fieldbench lines and marks from device lines, and gives them no level or flag', () => {
    for (const kind of ['sent', 'gap', 'note'] as const) {
      const flags = packOwnFlags(kind);
      expect(flags & ~CALLER_FLAGS_MASK).toBe(0);
      expect(recordKind(flags)).toBe(kind);
      expect(unpackFlags(flags)).toEqual({ kind, level: null, knownIssue: false, reboot: false, continuation: false });
      expect(isDeviceRecord(flags)).toBe(false);
      expect(isFlaggedRecord(flags)).toBe(false);
    }
    expect(recordKind(LogRecordFlag.mark)).toBe('mark');
    expect(isDeviceRecord(LogRecordFlag.mark)).toBe(false);
  });

  it('keeps by level from the flag byte alone; marks and notes always', () => {
    const table = levelKeepTable(['warn', 'none']);
    expect(table[packDeviceFlags('warn', true, false, false)]).toBe(1);
    expect(table[packDeviceFlags(null, false, false, true)]).toBe(1);
    expect(table[packDeviceFlags('error', false, false, false)]).toBe(0);
    expect(table[packDeviceFlags('trace', false, true, false)]).toBe(0);
    expect(table[packOwnFlags('gap')]).toBe(1);
    expect(table[LogRecordFlag.mark]).toBe(1);
    expect([...levelKeepTable(undefined)].every((v) => v === 1)).toBe(true);
  });
});
