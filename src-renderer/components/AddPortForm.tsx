// "Add port…": a serial port discovery cannot see (a socat link, `fieldbench sim`).
import { useId, useState, type FormEvent } from 'react';

interface AddPortFormProps {
  busy: boolean;
  onAdd(path: string): Promise<boolean>;
  onClose(): void;
}

export function AddPortForm({ busy, onAdd, onClose }: AddPortFormProps) {
  const [path, setPath] = useState('');
  const inputId = useId();
  const hintId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (await onAdd(path)) onClose();
  }

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Add a serial port" data-testid="add-port-form">
      <div className="field">
        <label htmlFor={inputId}>Serial port path</label>
        <input
          id={inputId}
          type="text"
          value={path}
          onChange={(event) => setPath(event.target.value)}
          placeholder="/dev/ttyUSB0"
          autoComplete="off"
          spellCheck={false}
          aria-describedby={hintId}
          required
          // The form opens on a click that asked for exactly this input.
          autoFocus
        />
        <p id={hintId} className="field-hint">
          For ports discovery does not list, such as a socat link or one printed by <code>fieldbench sim</code>.
        </p>
      </div>
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={busy || path.trim() === ''}>
          {busy ? 'Adding…' : 'Add port'}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
