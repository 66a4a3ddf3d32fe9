// "Attach virtual device": which simulated board (the sensor node or one of the USB DFU
// boards), how the sensor node is reached (a pseudo-terminal, or Bluetooth LE through a
// simulated BlueZ), and where it starts, for demos, training and trying an update without hardware.
import { useId, useState, type FormEvent } from 'react';
import type { VirtualModel } from '../../src-main/api/schemas';
import type { VirtualStart, VirtualTransport } from '../stores/devices-store';
import { startLabel, startsFor, virtualChoices, virtualTransportLabel } from '../stores/usb-selectors';

interface AttachVirtualFormProps {
  busy: boolean;
  onAttach(model: VirtualModel, startIn: VirtualStart, transport: VirtualTransport): Promise<boolean>;
  onClose(): void;
}

export function AttachVirtualForm({ busy, onAttach, onClose }: AttachVirtualFormProps) {
  const [model, setModel] = useState<VirtualModel>('sensor-node');
  const choice = virtualChoices.find((c) => c.model === model) ?? virtualChoices[0]!;
  const [transportChoice, setTransport] = useState<VirtualTransport>('serial');
  const transports = choice.transports ?? [];
  // A board with no choice of transport goes the only way it can (USB boards: their own bus, sent as the default).
  const transport = transports.includes(transportChoice) ? transportChoice : (transports[0] ?? 'serial');
  const starts = startsFor(choice, transport);
  const [startIn, setStartIn] = useState<VirtualStart>('application');
  // A start the chosen board cannot make (serial recovery on a USB board or over BLE) falls back to its first.
  const start = starts.includes(startIn) ? startIn : starts[0]!;
  const startId = useId();
  const transportId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (await onAttach(model, start, transport)) onClose();
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
      {transports.length > 1 && (
        <div className="field">
          <label htmlFor={transportId}>Reached over</label>
          <select id={transportId} value={transport} onChange={(event) => setTransport(event.target.value as VirtualTransport)} data-testid="virtual-transport">
            {transports.map((t) => (
              <option key={t} value={t}>
                {virtualTransportLabel[t]}
              </option>
            ))}
          </select>
        </div>
      )}
      <div className="field">
        <label htmlFor={startId}>Starts in</label>
        <select id={startId} value={start} onChange={(event) => setStartIn(event.target.value as VirtualStart)} disabled={starts.length < 2} data-testid="virtual-start">
          {starts.map((s) => (
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
