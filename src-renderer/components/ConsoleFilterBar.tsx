// Which lines the log shows: levels (and lines with none), text or a regular expression, with
// or without case, and only the lines that matched a known issue. Marks, gaps and notes are
// always shown. A regular expression is checked here before it goes to the core.
import { useId, useState, type FormEvent } from 'react';
import type { ConsoleFilter, ConsoleLevel } from '../../src-main/api/console-schemas';
import { compileHighlight } from '../console/text-marks';
import { InlineCheckbox } from './InlineCheckbox';

type LevelChoice = ConsoleLevel | 'none';
const LEVELS: { value: LevelChoice; label: string }[] = [
  { value: 'error', label: 'Error' },
  { value: 'warn', label: 'Warning' },
  { value: 'info', label: 'Info' },
  { value: 'debug', label: 'Debug' },
  { value: 'trace', label: 'Trace' },
  { value: 'none', label: 'No level' },
];

/** The form's choices as the contract's filter: all levels is no level filter, blank text no text filter. */
function filterFrom(levels: readonly LevelChoice[], text: string, regex: boolean, ignoreCase: boolean, flaggedOnly: boolean): ConsoleFilter {
  const filter: ConsoleFilter = {};
  if (levels.length < LEVELS.length) filter.levels = LEVELS.map((l) => l.value).filter((value) => levels.includes(value));
  if (text !== '') {
    filter.text = text;
    if (regex) filter.regex = true;
    if (ignoreCase) filter.ignoreCase = true;
  }
  if (flaggedOnly) filter.flaggedOnly = true;
  return filter;
}

function regexProblem(text: string, regex: boolean): string | null {
  if (!regex || text === '') return null;
  const compiled = compileHighlight({ pattern: text, regex: true });
  return 'error' in compiled ? compiled.error : null;
}

export function ConsoleFilterBar({ onApply, busy }: { onApply(filter: ConsoleFilter): void; busy?: boolean }) {
  const id = useId();
  const [levels, setLevels] = useState<LevelChoice[]>(LEVELS.map((l) => l.value));
  const [text, setText] = useState('');
  const [regex, setRegex] = useState(false);
  const [ignoreCase, setIgnoreCase] = useState(true);
  const [flaggedOnly, setFlaggedOnly] = useState(false);
  const problem = levels.length === 0 ? 'Choose at least one level.' : regexProblem(text, regex);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!problem) onApply(filterFrom(levels, text, regex, ignoreCase, flaggedOnly));
  };

  return (
    <form className="console-filter" onSubmit={submit} aria-label="Filter the log" data-testid="console-filter">
      <fieldset className="console-levels">
        <legend>Levels</legend>
        {LEVELS.map((level) => (
          <InlineCheckbox
            key={level.value}
            label={level.label}
            checked={levels.includes(level.value)}
            onChange={(checked) => setLevels(checked ? [...levels, level.value] : levels.filter((l) => l !== level.value))}
            testId={`console-level-${level.value}`}
          />
        ))}
      </fieldset>
      <div className="field field-grow">
        <label htmlFor={`${id}-text`}>Lines containing</label>
        <input id={`${id}-text`} type="search" value={text} maxLength={500} onChange={(event) => setText(event.target.value)} aria-invalid={problem !== null} data-testid="console-filter-text" />
      </div>
      <InlineCheckbox label="Regular expression" checked={regex} onChange={setRegex} />
      <InlineCheckbox label="Ignore case" checked={ignoreCase} onChange={setIgnoreCase} />
      <InlineCheckbox label="Known issues only" checked={flaggedOnly} onChange={setFlaggedOnly} testId="console-flagged-only" />
      <button type="submit" disabled={busy || problem !== null} data-testid="console-filter-apply">
        Apply filter
      </button>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
