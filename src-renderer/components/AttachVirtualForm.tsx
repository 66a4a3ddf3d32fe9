// "Attach virtual device": which simulated board (the serial sensor node or one of the USB
// DFU boards) and where it starts, for demos, training and trying an update without hardware.
import { useId, useState, type FormEvent } from 'react';
import type { VirtualModel } from '../../src-main/api/schemas';
import type { VirtualStart } from '../stores/devices-store';
import { startLabel, virtualChoices } from '../stores/usb-selectors';

interface AttachVirtualFormProps {
  busy: boolean;
  onAttach(model: VirtualModel, startIn: VirtualStart): Promise<boolean>;
  onClose(): void;
}

export function AttachVirtualForm({ busy, onAttach, onClose }: AttachVirtualFormProps) {
  const [model, setModel] = useState<VirtualModel>('sensor-node');
  const choice = virtualChoices.find((c) => c.model === model) ?? virtualChoices[0]!;
  const [startIn, setStartIn] = useState<VirtualStart>('application');
  // A start the chosen board cannot make (serial recovery on a USB board) falls back to its first.
  const start = choice.starts.includes(startIn) ? startIn : choice.starts[0]!;
  const startId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (await onAttach(model, start)) onClose();
  }

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Attach a virtual device" data-testid="attach-virtual-form">
      <fieldset className="check-group">
        <legend>Virtual device</legend>
        {virtualChoices.map((c) => (
          <label key={c.model} className="check-option">
            <input type="radio" name="virtual-model" value={c.model} checked={model === c.model} onChange={() => setModel(c.model)} data-testid={`virtual-model-${c.model}`} />
            <span>
              <span className="check-label">{c.label}</span>
              <span className="field-hint">{c.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor={startId}>Starts in</label>
        <select id={startId} value={start} onChange={(event) => setStartIn(event.target.value as VirtualStart)} data-testid="virtual-start">
          {choice.starts.map((s) => (
            <option key={s} value={s}>
              {startLabel[s]}
            </option>
          ))}
        </select>
      </div>
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={busy} data-testid="attach-virtual-submit">
          {busy ? 'Attaching…' : 'Attach'}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
