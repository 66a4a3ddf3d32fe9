// Marking a moment ("fault reproduced here"): a mark line in the capture and, with a case, an
// entry on its timeline. The marks of the capture are listed with a jump to each, and a
// capture range can start at one ("from this mark to now").
import { useId, useState, type FormEvent } from 'react';
import type { ConsoleLine } from '../../src-main/api/console-schemas';
import type { CaseSummary } from '../../src-main/api/schemas';
import { formatClock } from '../console/line-time';
import { ConsoleCaseSelect } from './ConsoleCaseSelect';

interface ConsoleMarksProps {
  marks: readonly ConsoleLine[];
  cases: readonly CaseSummary[];
  defaultCaseId: string | null;
  busy: boolean;
  canMark: boolean;
  onMark(label: string, caseId: string | null): Promise<boolean>;
  onJump(seq: number): void;
  onSelectFrom(seq: number): void;
}

export function ConsoleMarks({ marks, cases, defaultCaseId, busy, canMark, onMark, onJump, onSelectFrom }: ConsoleMarksProps) {
  const id = useId();
  const [label, setLabel] = useState('');
  const [caseId, setCaseId] = useState<string | null>(null);
  const chosen = caseId ?? defaultCaseId ?? '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (label.trim() === '') return;
    if (await onMark(label.trim(), chosen === '' ? null : chosen)) setLabel('');
  };

  return (
    <section className="panel console-marks" aria-labelledby={`${id}-heading`} data-testid="console-marks">
      <h2 id={`${id}-heading`}>Marks</h2>
      {canMark && (
        <form className="inline-form" onSubmit={(event) => void submit(event)}>
          <div className="field field-grow">
            <label htmlFor={`${id}-label`}>Mark label</label>
            <input id={`${id}-label`} type="text" value={label} maxLength={500} placeholder="fault reproduced here" onChange={(event) => setLabel(event.target.value)} data-testid="console-mark-label" />
          </div>
          <ConsoleCaseSelect id={`${id}-case`} label="On the timeline of" cases={cases} value={chosen} onChange={setCaseId} noneText="No case (in the capture only)" testId="console-mark-case" />
          <button type="submit" className="button-primary" disabled={busy || label.trim() === ''} data-testid="console-mark">
            Mark moment
          </button>
        </form>
      )}
      {marks.length === 0 ? (
        <p className="muted">No marks in this capture yet.</p>
      ) : (
        <ul className="console-mark-list">
          {marks.map((mark) => (
            <li key={mark.seq} data-testid="console-mark-item" data-seq={mark.seq}>
              <time dateTime={new Date(mark.time).toISOString()}>{formatClock(mark.time)}</time> <span>{mark.text}</span>{' '}
              <button type="button" className="button-link" onClick={() => onJump(mark.seq)} aria-label={`Jump to mark ${mark.text}`}>
                Jump
              </button>{' '}
              <button type="button" className="button-link" onClick={() => onSelectFrom(mark.seq)} aria-label={`Select from mark ${mark.text} to now`}>
                Select from here to now
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
