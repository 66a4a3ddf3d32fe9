// Highlight patterns: words or regular expressions painted over the rows on screen, each in
// its colour. They filter nothing and never leave this page.
import { useId, useState, type FormEvent } from 'react';
import { compileHighlight, type HighlightPattern } from '../console/text-marks';
import { InlineCheckbox } from './InlineCheckbox';

const COLOURS = ['#ffd54f', '#80deea', '#f48fb1', '#a5d6a7', '#ce93d8', '#ffab91'];

export function ConsoleHighlights({ patterns, onChange }: { patterns: readonly HighlightPattern[]; onChange(patterns: HighlightPattern[]): void }) {
  const id = useId();
  const [pattern, setPattern] = useState('');
  const [regex, setRegex] = useState(false);
  const [color, setColor] = useState(COLOURS[0]!);
  const compiled = pattern === '' ? null : compileHighlight({ pattern, regex });
  const problem = compiled && 'error' in compiled ? compiled.error : null;

  const add = (event: FormEvent) => {
    event.preventDefault();
    if (!compiled || problem) return;
    const next = [...patterns, { id: `${Date.now()}-${patterns.length}`, pattern, regex, color }];
    onChange(next);
    setPattern('');
    setColor(COLOURS[next.length % COLOURS.length]!);
  };

  return (
    <div className="console-highlights">
      <form className="inline-form" onSubmit={add} aria-label="Highlight a pattern">
        <div className="field">
          <label htmlFor={`${id}-pattern`}>Highlight</label>
          <input id={`${id}-pattern`} type="text" value={pattern} maxLength={200} onChange={(event) => setPattern(event.target.value)} aria-invalid={problem !== null} data-testid="console-highlight-text" />
        </div>
        <InlineCheckbox label="Regular expression" checked={regex} onChange={setRegex} />
        <div className="field">
          <label htmlFor={`${id}-colour`}>Colour</label>
          <input id={`${id}-colour`} type="color" value={color} onChange={(event) => setColor(event.target.value)} />
        </div>
        <button type="submit" disabled={!compiled || problem !== null} data-testid="console-highlight-add">
          Add highlight
        </button>
        {problem && (
          <p className="field-error" role="alert">
            {problem}
          </p>
        )}
      </form>
      {patterns.length > 0 && (
        <ul className="console-highlight-list">
          {patterns.map((p) => (
            <li key={p.id}>
              <span className="console-swatch" style={{ backgroundColor: p.color }} aria-hidden="true" />
              <code>{p.pattern}</code>
              {p.regex && <span className="muted"> (regex)</span>}
              <button type="button" className="button-link" onClick={() => onChange(patterns.filter((q) => q.id !== p.id))} aria-label={`Remove highlight ${p.pattern}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
