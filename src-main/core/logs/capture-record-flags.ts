// What a capture record is, packed into the record's flag byte so that a filter over a
// million lines reads one byte per record and never decodes a line. The capture file leaves
// six bits to its caller (CALLER_FLAGS_MASK, bits 2..7) and keeps bit 0 for marks:
//
//   bit 0     LogRecordFlag.mark: a moment a person marked (the line is its label)
//   bits 2-4  level of a device line: 0 none, 1 error, 2 warn, 3 info, 4 debug, 5 trace;
//             7 means the record is one of Fieldbench's own lines (sent, gap, note)
//   bit 5     device line: matched a known issue       own line: kind bit 0
//   bit 6     device line: the boot banner (a reboot)  own line: kind bit 1
//   bit 7     device line: continues the line before it (that one outgrew MAX_LINE_BYTES)
//
// Fieldbench's own lines carry no level, issue or reboot, so their kind reuses those bits.
import type { ConsoleLevel, ConsoleLineKind } from '../../api/console-schemas';
import { LogRecordFlag } from './log-capture-format';

export type RecordLevel = ConsoleLevel | 'none';

export interface RecordFlags {
  kind: ConsoleLineKind;
  level: ConsoleLevel | null;
  knownIssue: boolean;
  reboot: boolean;
  continuation: boolean;
}

const LEVEL_SHIFT = 2;
const LEVEL_MASK = 0b111 << LEVEL_SHIFT;
const OWN_LINE = 7;
const ISSUE_BIT = 1 << 5;
const REBOOT_BIT = 1 << 6;
const CONTINUATION_BIT = 1 << 7;
const OWN_KIND_SHIFT = 5;

/** Index = level code in bits 2-4. */
export const RECORD_LEVELS: readonly RecordLevel[] = ['none', 'error', 'warn', 'info', 'debug', 'trace'];
const OWN_KINDS = ['sent', 'gap', 'note'] as const;
type OwnKind = (typeof OWN_KINDS)[number];

export function packDeviceFlags(level: ConsoleLevel | null, knownIssue: boolean, reboot: boolean, continuation: boolean): number {
  const code = RECORD_LEVELS.indexOf(level ?? 'none');
  return (code << LEVEL_SHIFT) | (knownIssue ? ISSUE_BIT : 0) | (reboot ? REBOOT_BIT : 0) | (continuation ? CONTINUATION_BIT : 0);
}

/** Flags for one of Fieldbench's own lines; a mark goes through LogCapture.mark instead. */
export function packOwnFlags(kind: OwnKind): number {
  return (OWN_LINE << LEVEL_SHIFT) | (OWN_KINDS.indexOf(kind) << OWN_KIND_SHIFT);
}

export function unpackFlags(flags: number): RecordFlags {
  const kind = recordKind(flags);
  if (kind !== 'device') return { kind, level: null, knownIssue: false, reboot: false, continuation: false };
  return {
    kind,
    level: recordLevelOf(flags),
    knownIssue: (flags & ISSUE_BIT) !== 0,
    reboot: (flags & REBOOT_BIT) !== 0,
    continuation: (flags & CONTINUATION_BIT) !== 0,
  };
}

export function recordKind(flags: number): ConsoleLineKind {
  if (flags & LogRecordFlag.mark) return 'mark';
  const code = (flags & LEVEL_MASK) >> LEVEL_SHIFT;
  if (code !== OWN_LINE) return 'device';
  return OWN_KINDS[(flags >> OWN_KIND_SHIFT) & 0b11] ?? 'note';
}

/** A device line's level; null for no level and for every other kind. */
export function recordLevelOf(flags: number): ConsoleLevel | null {
  if (flags & LogRecordFlag.mark) return null;
  const level = RECORD_LEVELS[(flags & LEVEL_MASK) >> LEVEL_SHIFT];
  return level === undefined || level === 'none' ? null : level;
}

/** Device lines only: whether the line matched a known issue. */
export function isFlaggedRecord(flags: number): boolean {
  return isDeviceRecord(flags) && (flags & ISSUE_BIT) !== 0;
}

export function isDeviceRecord(flags: number): boolean {
  return (flags & LogRecordFlag.mark) === 0 && (flags & LEVEL_MASK) >> LEVEL_SHIFT !== OWN_LINE;
}

/**
 * A 256-entry table: whether a record with these flags is kept by a level filter. Marks and
 * Fieldbench's own lines are always kept; device lines by their level.
 */
export function levelKeepTable(levels: readonly RecordLevel[] | undefined): Uint8Array {
  const table = new Uint8Array(256);
  for (let flags = 0; flags < 256; flags++) {
    if (!isDeviceRecord(flags)) table[flags] = 1;
    else if (!levels) table[flags] = 1;
    else table[flags] = levels.includes(recordLevelOf(flags) ?? 'none') ? 1 : 0;
  }
  return table;
}
