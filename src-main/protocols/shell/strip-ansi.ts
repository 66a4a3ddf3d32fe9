// Device shells colour their prompt and error lines and move the cursor around while they
// echo (Zephyr's shell does all three). Answers are parsed as plain text, so those escape
// sequences go before any pattern sees a line.

// ESC or the 8-bit CSI (U+009B) followed by one of:
//   CSI   [ params intermediates final      colours, cursor moves, erase line
//   OSC   ] text (BEL | ESC \)              window titles
//   DCS/SOS/PM/APC P|X|^|_ text ESC \      rarely sent, but must not leak their payload
//   nF    intermediates final              charset selection (ESC ( B), ESC 7 / ESC 8, ESC c
const ESCAPE_SEQUENCE = new RegExp(
  [
    '(?:\\u001b\\[|\\u009b)[0-?]*[ -/]*[@-~]',
    '\\u001b\\][^\\u0007\\u001b]*(?:\\u0007|\\u001b\\\\)',
    '\\u001b[PX^_][^\\u001b]*\\u001b\\\\',
    '\\u001b[ -/]*[0-~]',
  ].join('|'),
  'g',
);

// A sequence cut short (noise, or the end of a buffer) leaves a bare ESC behind. Dropping it
// too makes stripping idempotent: nothing left can start a sequence on a second pass.
const STRAY_ESCAPE = /[\u001b\u009b]/g;

/** Text with every VT100/ANSI escape sequence removed; other characters are left alone. */
export function stripAnsi(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(STRAY_ESCAPE, '');
}

// C0 and C1 control characters other than tab, line feed and carriage return.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** Text as a person should see it: escapes stripped, then NULs, bells, backspaces and other controls removed. */
export function toPrintableText(text: string): string {
  return stripAnsi(text).replace(CONTROL_CHARACTERS, '');
}
