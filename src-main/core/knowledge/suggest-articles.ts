// Which articles fit what is known about a device or a case, and why. Pure: the core
// gathers the observations (readings, error codes, log lines, model and firmware), this
// module only matches and ranks, so every rule is tested without a device.
//
// An article is suggested only for evidence: a reading it names, an error code it lists or
// a log line one of its patterns matches. Its models and firmware ranges then decide
// whether it applies at all (an article for another model or outside its firmware range is
// left out) and, when they are known to match, rank it above one written for any device.
import type { KbErrorKind, KbReason, KbSuggestion, ReadingStatus } from '../../api/schemas';
import type { LoadedArticle } from './article-file';
import { firmwareInRanges } from './firmware-range';
import { matchLogLine } from './log-pattern';

export interface ObservedReading {
  id: string;
  status?: ReadingStatus | undefined;
  value?: number | string | boolean | null | undefined;
  unit?: string | null | undefined;
}

export interface ObservedErrorCode {
  kind: KbErrorKind;
  /** A number, or a name ("MGMT_ERR_ENOMEM", "errWRITE"). */
  code: number | string;
}

export interface Observations {
  /** The device's profile id and model name, as far as they are known. */
  models: string[];
  firmware: string | null;
  readings: ObservedReading[];
  errorCodes: ObservedErrorCode[];
  logLines: string[];
}

/** Weights: an error code is the most specific evidence, a failed reading the next. */
const SCORE = { errorCode: 12, readingFail: 10, readingError: 8, readingWarn: 6, readingBound: 6, logLine: 8, model: 3, firmware: 3 } as const;

export function suggestArticles(articles: readonly LoadedArticle[], observed: Observations): KbSuggestion[] {
  const models = new Set(observed.models.map((model) => model.toLowerCase()));
  const slowPatterns = new Set<RegExp>();
  const suggestions: KbSuggestion[] = [];
  for (const article of articles) {
    const { summary } = article;
    const context: KbReason[] = [];
    let score = 0;
    if (summary.models.length > 0 && models.size > 0) {
      const fits = summary.models.find((model) => models.has(model.toLowerCase()));
      if (!fits) continue;
      context.push({ kind: 'model', text: `written for ${fits}` });
      score += SCORE.model;
    }
    if (summary.firmware.length > 0 && observed.firmware !== null) {
      const inRange = firmwareInRanges(observed.firmware, summary.firmware);
      if (inRange === false) continue;
      if (inRange) {
        context.push({ kind: 'firmware', text: `firmware ${observed.firmware} is in ${summary.firmware.join(' or ')}` });
        score += SCORE.firmware;
      }
    }
    const evidence: { reason: KbReason; score: number }[] = [
      ...readingEvidence(article, observed.readings),
      ...errorCodeEvidence(article, observed.errorCodes),
      ...logLineEvidence(article, observed.logLines, slowPatterns),
    ];
    if (evidence.length === 0) continue;
    score += evidence.reduce((sum, e) => sum + e.score, 0);
    suggestions.push({ article: summary, reasons: [...evidence.map((e) => e.reason), ...context], score });
  }
  return suggestions.sort((a, b) => b.score - a.score || a.article.title.localeCompare(b.article.title));
}

function readingEvidence(article: LoadedArticle, readings: readonly ObservedReading[]): { reason: KbReason; score: number }[] {
  const found: { reason: KbReason; score: number }[] = [];
  for (const rule of article.summary.readings) {
    const reading = readings.find((r) => r.id === rule.id);
    if (!reading) continue;
    const shown = typeof reading.value === 'number' ? ` (${reading.value}${reading.unit ? ` ${reading.unit}` : ''})` : '';
    if (rule.status !== null && reading.status !== undefined) {
      if (reading.status === rule.status) {
        const score = reading.status === 'fail' ? SCORE.readingFail : reading.status === 'error' ? SCORE.readingError : SCORE.readingWarn;
        found.push({ reason: { kind: 'reading', text: `reading ${rule.id} ${reading.status}${shown}` }, score });
      }
    }
    if (typeof reading.value === 'number') {
      const unit = reading.unit ? ` ${reading.unit}` : '';
      if (rule.below !== null && reading.value < rule.below) {
        found.push({ reason: { kind: 'reading', text: `reading ${rule.id} ${reading.value}${unit} is below ${rule.below}${unit}` }, score: SCORE.readingBound });
      }
      if (rule.above !== null && reading.value > rule.above) {
        found.push({ reason: { kind: 'reading', text: `reading ${rule.id} ${reading.value}${unit} is above ${rule.above}${unit}` }, score: SCORE.readingBound });
      }
    }
  }
  return found;
}

const KIND_WORDS: Record<KbErrorKind, string> = { smp: 'SMP error', dfu: 'DFU status', device: 'device error' };

function errorCodeEvidence(article: LoadedArticle, codes: readonly ObservedErrorCode[]): { reason: KbReason; score: number }[] {
  const found: { reason: KbReason; score: number }[] = [];
  for (const entry of article.summary.errorCodes) {
    const names = [String(entry.code).toLowerCase(), ...(entry.name ? [entry.name.toLowerCase()] : [])];
    const hit = codes.some((observed) => observed.kind === entry.kind && names.includes(String(observed.code).toLowerCase()));
    if (!hit) continue;
    const named = entry.name && entry.name !== String(entry.code) ? ` (${entry.name})` : '';
    found.push({ reason: { kind: 'error-code', text: `${KIND_WORDS[entry.kind]} ${entry.code}${named}` }, score: SCORE.errorCode });
  }
  return found;
}

function logLineEvidence(article: LoadedArticle, lines: readonly string[], slow: Set<RegExp>): { reason: KbReason; score: number }[] {
  const found: { reason: KbReason; score: number }[] = [];
  article.patterns.forEach((pattern, i) => {
    const line = lines.find((text) => matchLogLine(text, [pattern], slow) !== null);
    if (line === undefined) return;
    const excerpt = line.trim().length > 80 ? `${line.trim().slice(0, 79)}…` : line.trim();
    found.push({ reason: { kind: 'log-line', text: `log line matches /${article.summary.logPatterns[i] ?? pattern.source}/: ${excerpt}` }, score: SCORE.logLine });
  });
  return found;
}

/** Error names a text carries: MCUmgr's (MGMT_ERR_*, IMG_MGMT_ERR_* …) and DFU 1.1 statuses (errWRITE …). */
export function errorCodesInText(text: string): ObservedErrorCode[] {
  const codes = new Map<string, ObservedErrorCode>();
  for (const match of text.matchAll(/\b((?:IMG_|OS_|STAT_)?MGMT_ERR_[A-Z_]+)\b/g)) {
    codes.set(`smp:${match[1]}`, { kind: 'smp', code: match[1]! });
  }
  for (const match of text.matchAll(/\b(err(?:TARGET|FILE|WRITE|ERASE|CHECK_ERASED|PROG|VERIFY|ADDRESS|NOTDONE|FIRMWARE|VENDOR|USBR|POR|UNKNOWN|STALLEDPKT))\b/g)) {
    codes.set(`dfu:${match[1]}`, { kind: 'dfu', code: match[1]! });
  }
  return [...codes.values()];
}
