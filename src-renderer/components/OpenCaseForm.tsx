// "Open case" on a device: a title, then the core attaches the device's identity and a
// diagnostics snapshot (reading the device if its last report is stale).
import { useId, useState, type FormEvent } from 'react';

interface OpenCaseFormProps {
  busy: boolean;
  disabled: boolean;
  onOpen(title: string): Promise<void>;
}

export function OpenCaseForm({ busy, disabled, onOpen }: OpenCaseFormProps) {
  const [title, setTitle] = useState('');
  const inputId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    await onOpen(title);
  }

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Open a case for this device" data-testid="open-case-form">
      <div className="field field-grow">
        <label htmlFor={inputId}>Case title</label>
        <input
          id={inputId}
          type="text"
          value={title}
          maxLength={300}
          onChange={(event) => setTitle(event.target.value)}
          placeholder="What the customer reports, e.g. “Battery drains overnight”"
          autoComplete="off"
          required
          data-testid="case-title"
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={busy || disabled || title.trim() === ''} data-testid="open-case">
          {busy ? 'Opening case…' : 'Open case'}
        </button>
      </div>
    </form>
  );
}
