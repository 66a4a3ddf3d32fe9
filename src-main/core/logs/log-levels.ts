// A log line's level, the device's own timestamp, and the module that wrote it, read from the
// formats our devices print: Zephyr's logging subsystem, ESP-IDF's log macros and syslog
// (RFC 3164 and RFC 5424), plus patterns a device profile adds for firmware of its own.
// Every regex here is anchored and free of nested quantifiers, so a line costs linear time.
import { FieldbenchError } from '../../api/errors';
import { checkLogPattern } from '../knowledge/log-pattern';

export const logLevels = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof logLevels)[number];

export type LogFormat = 'zephyr' | 'esp-idf' | 'syslog' | 'profile';

export interface LogHeader {
  level: LogLevel | null;
  format: LogFormat | null;
  /** The timestamp as the device wrote it ("00:00:01.234,000", "1234"), never reinterpreted. */
  deviceTime: string | null;
  /** The Zephyr module, ESP-IDF tag or syslog app name. */
  module: string | null;
  /** The text after the header; the whole line when there is no header. */
  message: string;
}

/** A profile's pattern for its firmware's own log format. */
export interface LevelPattern {
  regex: string;
  level: LogLevel;
}

/** A profile pattern ready to run. Named groups `time`, `module` and `message` fill those fields. */
export interface CompiledLevelPattern {
  source: string;
  regex: RegExp;
  level: LogLevel;
}

/**
 * Compiles a profile's level patterns once. A pattern that does not compile, or could take
 * exponential time, is left out and reported: one bad line in a profile must not cost the
 * console its other patterns.
 */
export function compileLevelPatterns(
  patterns: readonly LevelPattern[],
  deviceLabel: string,
): { patterns: CompiledLevelPattern[]; problems: FieldbenchError[] } {
  const compiled: CompiledLevelPattern[] = [];
  const problems: FieldbenchError[] = [];
  patterns.forEach((pattern, index) => {
    const checked = checkLogPattern(pattern.regex);
    if (checked.ok) {
      compiled.push({ source: pattern.regex, regex: checked.regex, level: pattern.level });
      return;
    }
    problems.push(
      new FieldbenchError({
        code: 'profile-error',
        message: `log level pattern ${index + 1} /${pattern.regex}/ ${checked.reason}`,
        device: deviceLabel,
        step: 'log levels',
        hint: 'Fix the pattern in the device profile; lines it would have matched show without a level until then.',
      }),
    );
  });
  return { patterns: compiled, problems };
}

/** The header of a line (escapes already removed): profile patterns first, as they know the firmware best. */
export function readLogHeader(line: string, patterns: readonly CompiledLevelPattern[] = []): LogHeader {
  return readProfile(line, patterns) ?? readZephyr(line) ?? readEspIdf(line) ?? readSyslog(line) ?? none(line);
}

function none(line: string): LogHeader {
  return { level: null, format: null, deviceTime: null, module: null, message: line };
}

function readProfile(line: string, patterns: readonly CompiledLevelPattern[]): LogHeader | null {
  for (const pattern of patterns) {
    const match = pattern.regex.exec(line);
    if (!match) continue;
    const groups = match.groups ?? {};
    return {
      level: pattern.level,
      format: 'profile',
      deviceTime: groups.time ?? null,
      module: groups.module ?? null,
      message: groups.message ?? line,
    };
  }
  return null;
}

// [00:00:01.234,000] <inf> module: text — the timestamp is uptime, or raw cycles when the
// clock is not converted ([00012345]); it is absent with CONFIG_LOG_BACKEND_SHOW_TIMESTAMP off.
const ZEPHYR = /^(?:\[([\d:.,]{1,32})\]\s*)?<(err|wrn|inf|dbg)>\s+(?:([^\s:]{1,64}):\s?)?(.*)$/;
const ZEPHYR_LEVELS: Record<string, LogLevel> = { err: 'error', wrn: 'warn', inf: 'info', dbg: 'debug' };

function readZephyr(line: string): LogHeader | null {
  const match = ZEPHYR.exec(line);
  if (!match) return null;
  return {
    level: ZEPHYR_LEVELS[match[2]!]!,
    format: 'zephyr',
    deviceTime: match[1] ?? null,
    module: match[3] ?? null,
    message: match[4]!,
  };
}

// I (1234) tag: text — milliseconds since boot, or the wall clock (12:34:56.789) with
// CONFIG_LOG_TIMESTAMP_SOURCE_SYSTEM.
const ESP_IDF = /^([EWIDV]) \(([\d:.]{1,24})\) ([^:]{1,64}?): ?(.*)$/;
const ESP_IDF_LEVELS: Record<string, LogLevel> = { E: 'error', W: 'warn', I: 'info', D: 'debug', V: 'trace' };

function readEspIdf(line: string): LogHeader | null {
  const match = ESP_IDF.exec(line);
  if (!match) return null;
  return {
    level: ESP_IDF_LEVELS[match[1]!]!,
    format: 'esp-idf',
    deviceTime: match[2]!,
    module: match[3]!,
    message: match[4]!,
  };
}

// <PRI> is facility × 8 + severity, 0 to 191, written without leading zeros.
const SYSLOG_PRI = /^<(0|[1-9]\d{0,2})>/;
// RFC 5424: VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, then structured data and MSG.
const RFC5424_HEADER = /^([1-9]\d?) (\S{1,64}) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) /;
// RFC 3164: "Mmm dd hh:mm:ss" (day padded with a space), hostname, then content.
const RFC3164_HEADER = /^([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}) (\S{1,255}) /;
// The content's tag: "app[pid]: " or "app: ".
const SYSLOG_TAG = /^([^\s:[\]]{1,48})(?:\[[^\]]{0,16}\])?: ?/;
// Severities 0–3 (emerg, alert, crit, err), 4 warning, 5 notice and 6 info, 7 debug.
const SYSLOG_LEVELS: readonly LogLevel[] = ['error', 'error', 'error', 'error', 'warn', 'info', 'info', 'debug'];

function readSyslog(line: string): LogHeader | null {
  const pri = SYSLOG_PRI.exec(line);
  if (!pri || Number(pri[1]) > 191) return null;
  const level = SYSLOG_LEVELS[Number(pri[1]) % 8]!;
  const rest = line.slice(pri[0].length);

  const header5424 = RFC5424_HEADER.exec(rest);
  if (header5424) {
    const afterHeader = rest.slice(header5424[0].length);
    const dataEnd = structuredDataEnd(afterHeader);
    if (dataEnd !== null) {
      return {
        level,
        format: 'syslog',
        deviceTime: nil(header5424[2]!),
        module: nil(header5424[4]!),
        // MSG may start with a UTF-8 byte order mark to say it is UTF-8.
        message: afterHeader.slice(dataEnd).replace(/^ /, '').replace(/^\ufeff/, ''),
      };
    }
  }

  const header3164 = RFC3164_HEADER.exec(rest);
  const content = header3164 ? rest.slice(header3164[0].length) : rest;
  // Embedded senders often leave out the timestamp and hostname; the tag may still be there.
  const tag = SYSLOG_TAG.exec(content);
  return {
    level,
    format: 'syslog',
    deviceTime: header3164 ? header3164[1]! : null,
    module: tag ? tag[1]! : null,
    message: tag ? content.slice(tag[0].length) : content,
  };
}

function nil(field: string): string | null {
  return field === '-' ? null : field;
}

/**
 * Where RFC 5424 structured data ends: "-", or one or more [id param="value"] elements whose
 * quoted values may hold an escaped quote or bracket. Null when it is not well formed.
 */
function structuredDataEnd(text: string): number | null {
  if (text.startsWith('-')) return 1;
  let i = 0;
  while (text[i] === '[') {
    let quoted = false;
    i++;
    for (; i < text.length; i++) {
      const c = text[i];
      if (quoted && c === '\\') i++;
      else if (c === '"') quoted = !quoted;
      else if (!quoted && c === ']') break;
    }
    if (i >= text.length) return null;
    i++;
  }
  return i === 0 ? null : i;
}
