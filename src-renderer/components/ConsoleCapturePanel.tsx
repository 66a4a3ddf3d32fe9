// The capture, whole or the selected rows, to a case as an attachment or to a file: as text
// or as JSON lines. Rows are selected in the log (click, then shift-click) or from a mark.
import { useId, useState } from 'react';
import type { CaptureFormat } from '../../src-main/api/console-schemas';
import type { CaseSummary } from '../../src-main/api/schemas';
import { selectionText, type RowSelection } from '../console/row-selection';
import { ConsoleCaseSelect } from './ConsoleCaseSelect';

interface ConsoleCapturePanelProps {
  selection: RowSelection | null;
  cases: readonly CaseSummary[];
  defaultCaseId: string | null;
  busy: boolean;
  onClearSelection(): void;
  onAttach(caseId: string, format: CaptureFormat, which: 'whole' | 'selection'): void;
  onExport(format: CaptureFormat, which: 'whole' | 'selection'): void;
}

export function ConsoleCapturePanel({ selection, cases, defaultCaseId, busy, onClearSelection, onAttach, onExport }: ConsoleCapturePanelProps) {
  const id = useId();
  const [format, setFormat] = useState<CaptureFormat>('text');
  const [which, setWhich] = useState<'whole' | 'selection'>('whole');
  const [caseId, setCaseId] = useState<string | null>(null);
  const chosen = caseId ?? defaultCaseId ?? cases[0]?.id ?? '';
  const part = selection ? which : 'whole';

  return (
    <section className="panel console-capture" aria-labelledby={`${id}-heading`} data-testid="console-capture">
      <h2 id={`${id}-heading`}>Capture to a case or a file</h2>
      <p className="muted" data-testid="console-selection">
        {selection ? `Selected: ${selectionText(selection)}.` : 'No rows selected: click a row, then shift-click another, to pick a range.'}{' '}
        {selection && (
          <button type="button" className="button-link" onClick={onClearSelection}>
            Clear selection
          </button>
        )}
      </p>
      <div className="inline-form">
        <fieldset className="console-which">
          <legend>What</legend>
          <label className="checkbox">
            <input type="radio" name={`${id}-which`} checked={part === 'whole'} onChange={() => setWhich('whole')} />
            Whole capture
          </label>
          <label className="checkbox">
            <input type="radio" name={`${id}-which`} checked={part === 'selection'} disabled={!selection} onChange={() => setWhich('selection')} data-testid="console-which-selection" />
            Selected rows
          </label>
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-format`}>Format</label>
          <select id={`${id}-format`} value={format} onChange={(event) => setFormat(event.target.value as CaptureFormat)} data-testid="console-format">
            <option value="text">Text</option>
            <option value="jsonl">JSON lines</option>
          </select>
        </div>
        <ConsoleCaseSelect id={`${id}-case`} label="Case" cases={cases} value={chosen} onChange={setCaseId} noneText={cases.length === 0 ? 'No open case' : undefined} testId="console-attach-case" />
        <button type="button" className="button-primary" disabled={busy || chosen === ''} onClick={() => onAttach(chosen, format, part)} data-testid="console-attach">
          Attach to case
        </button>
        <button type="button" disabled={busy} onClick={() => onExport(format, part)} data-testid="console-export">
          Export…
        </button>
      </div>
    </section>
  );
}
