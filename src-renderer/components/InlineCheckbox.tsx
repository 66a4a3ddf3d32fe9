// A checkbox with its label beside it, for option rows in a toolbar-like form.
export function InlineCheckbox({ label, checked, onChange, testId }: { label: string; checked: boolean; onChange(checked: boolean): void; testId?: string }) {
  return (
    <label className="checkbox">
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} data-testid={testId} />
      {label}
    </label>
  );
}
