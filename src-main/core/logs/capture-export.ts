// A stretch of a capture as a file a person can attach or send: plain text (a header naming
// the device, its serial number, the capture and its settings, then one line per record with
// its host time, time since the start, level and text) or JSON lines (one object per record).
// The size is bounded: past `maxBytes` the export is refused, saying how many lines would fit.
import type { CaptureFormat, ConsoleLine, SerialSettings } from '../../api/console-schemas';
import { FieldbenchError } from '../../api/errors';
import type { CaptureMeta } from './capture-service';

/** How Fieldbench's own lines are told apart from the device's in a text export. */
const KIND_PREFIX: Record<ConsoleLine['kind'], string> = {
  device: '',
  sent: '› ',
  mark: '⚑ MARK ',
  gap: '… GAP ',
  note: '• NOTE ',
};

export interface RenderedExport {
  bytes: Uint8Array;
  lines: number;
}

/**
 * Renders `lines` (in order) in `format`. Refuses with invalid-request when the result would
 * pass `maxBytes`, naming how many lines would have fitted.
 */
export function renderCaptureExport(lines: Iterable<ConsoleLine>, format: CaptureFormat, meta: CaptureMeta, maxBytes: number): RenderedExport {
  const start = Date.parse(meta.startedAt);
  const parts: Buffer[] = [];
  let size = 0;
  if (format === 'text') {
    const header = Buffer.from(textHeader(meta), 'utf8');
    parts.push(header);
    size += header.length;
  }
  let count = 0;
  let fitted: number | null = null;
  for (const line of lines) {
    const rendered = Buffer.from(`${format === 'text' ? textLine(line, start) : jsonLine(line, start)}\n`, 'utf8');
    if (fitted === null && size + rendered.length > maxBytes) fitted = count;
    size += rendered.length;
    count += 1;
    if (fitted === null) parts.push(rendered);
  }
  if (fitted !== null) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `the export of ${count} lines is ${size} bytes, more than the ${maxBytes} bytes allowed`,
      device: meta.device,
      step: 'export log capture',
      hint: fitted > 0 ? `Choose a range of at most ${fitted} lines` : 'Choose a smaller range; not even its first line fits',
    });
  }
  return { bytes: Buffer.concat(parts, size), lines: count };
}

function textHeader(meta: CaptureMeta): string {
  const rows = [
    `# Fieldbench log capture ${meta.captureId}`,
    `# Device: ${meta.device}${meta.serialNumber ? ` (serial number ${meta.serialNumber})` : ''}`,
    `# Source: ${meta.source === 'nus' ? 'Nordic UART Service (Bluetooth LE)' : 'serial port'}${meta.settings ? `, ${describeSettings(meta.settings)}` : ''}`,
    `# Started: ${meta.startedAt}${meta.endedAt ? `, ended: ${meta.endedAt}` : ''}`,
    '# Columns: host time (UTC), time since the start, [level], text',
  ];
  return `${rows.join('\n')}\n`;
}

/** "115200 baud, 8N1, no flow control": how a UART's settings are usually written. */
export function describeSettings(settings: SerialSettings): string {
  const parity = { none: 'N', even: 'E', odd: 'O', mark: 'M', space: 'S' }[settings.parity];
  const flow = { none: 'no flow control', 'rts-cts': 'RTS/CTS flow control', 'xon-xoff': 'XON/XOFF flow control' }[settings.flowControl];
  return `${settings.baudRate} baud, ${settings.dataBits}${parity}${settings.stopBits}, ${flow}`;
}

function textLine(line: ConsoleLine, start: number): string {
  const level = line.level ? `[${line.level}] ` : '';
  const tags = [...(line.reboot ? ['reboot'] : []), ...line.issues.map((id) => `known issue ${id}`)];
  const suffix = tags.length > 0 ? `  ⟨${tags.join('; ')}⟩` : '';
  return `${hostTime(line.time)} ${relativeTime(line.time - start)} ${level}${KIND_PREFIX[line.kind]}${line.text}${suffix}`;
}

function jsonLine(line: ConsoleLine, start: number): string {
  return JSON.stringify({
    seq: line.seq,
    time: isoTime(line.time),
    relMs: Number.isFinite(line.time - start) ? Math.round((line.time - start) * 1000) / 1000 : null,
    kind: line.kind,
    level: line.level,
    deviceTime: line.deviceTime,
    text: line.text,
    issues: line.issues,
    reboot: line.reboot,
    truncated: line.truncated,
  });
}

function isoTime(time: number): string | null {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** "2026-11-27 11:38:00.123" in UTC. */
function hostTime(time: number): string {
  const iso = isoTime(time);
  return iso === null ? '????-??-?? ??:??:??.???' : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** "+00:01:02.345"; hours grow past 99 for a capture left running for days. */
export function relativeTime(ms: number): string {
  if (!Number.isFinite(ms)) return '+??:??:??.???';
  const sign = ms < 0 ? '-' : '+';
  const total = Math.round(Math.abs(ms));
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor(total / 60_000) % 60;
  const seconds = Math.floor(total / 1000) % 60;
  const millis = total % 1000;
  return `${sign}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}.${String(millis).padStart(3, '0')}`;
}
