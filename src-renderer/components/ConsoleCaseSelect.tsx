// Which case a mark or a capture goes to: the console's own case, or another open case.
import type { CaseSummary } from '../../src-main/api/schemas';

interface ConsoleCaseSelectProps {
  id: string;
  label: string;
  cases: readonly CaseSummary[];
  value: string;
  onChange(caseId: string): void;
  /** Offered first when there is no case: what happens without one. */
  noneText?: string;
  testId?: string;
}

export function ConsoleCaseSelect({ id, label, cases, value, onChange, noneText, testId }: ConsoleCaseSelectProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)} data-testid={testId}>
        {noneText !== undefined && <option value="">{noneText}</option>}
        {cases.map((c) => (
          <option key={c.id} value={c.id}>
            {c.title} ({c.status})
          </option>
        ))}
      </select>
    </div>
  );
}
