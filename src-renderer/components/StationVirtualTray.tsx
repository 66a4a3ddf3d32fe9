// "Attach virtual units": a tray of simulated boards, a few of them faulty, to try the loaded
// recipe on before touching real ones. The boards are those of "Attach virtual device".
import { useId, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { VirtualModel } from '../../src-main/api/schemas';
import { useStores } from '../app/renderer-context';
import { faultPresetsFor, faultProblem, parseTrayCount, trayUnits, TRAY_MAX, TRAY_MIN, type TrayFault } from '../station/virtual-tray';
import { virtualChoices } from '../stores/usb-selectors';
import { ErrorDetails } from './ErrorDetails';

export function StationVirtualTray() {
  const { station } = useStores();
  const attaching = useStore(station, (s) => s.pending.attach ?? false);
  const error = useStore(station, (s) => s.errors.attach ?? null);
  const [countText, setCountText] = useState('3');
  const [model, setModel] = useState<VirtualModel>('sensor-node');
  const [faults, setFaults] = useState<TrayFault[]>([]);
  const [attached, setAttached] = useState<number | null>(null);
  const countId = useId();
  const modelId = useId();
  const parsed = parseTrayCount(countText);
  const count = 'count' in parsed ? parsed.count : TRAY_MAX;
  const presets = faultPresetsFor(model);

  const changeModel = (next: VirtualModel) => {
    setModel(next);
    // Fault presets differ between a sensor node and a USB board.
    setFaults([]);
  };
  const changeFault = (index: number, change: Partial<TrayFault>) => setFaults((list) => list.map((f, i) => (i === index ? { ...f, ...change } : f)));
  const addFault = () => {
    const used = new Set(faults.map((f) => f.unit));
    const unit = Array.from({ length: count }, (_, i) => i + 1).find((n) => !used.has(n)) ?? 1;
    setFaults((list) => [...list, { unit, preset: presets[0]!.key }]);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!('count' in parsed)) return;
    setAttached(null);
    if (await station.getState().attachVirtual(model, trayUnits(model, parsed.count, faults))) setAttached(parsed.count);
  };

  return (
    <section className="panel" aria-labelledby="station-tray-heading">
      <h2 id="station-tray-heading">Try on virtual units</h2>
      <form className="station-tray" onSubmit={(event) => void submit(event)} aria-label="Attach virtual units" data-testid="station-tray">
        <div className="inline-form">
          <div className="field field-narrow">
            <label htmlFor={countId}>Units</label>
            <input id={countId} type="number" min={TRAY_MIN} max={TRAY_MAX} step={1} value={countText} onChange={(event) => setCountText(event.target.value)} aria-invalid={'problem' in parsed} data-testid="station-tray-count" />
          </div>
          <div className="field">
            <label htmlFor={modelId}>Board</label>
            <select id={modelId} value={model} onChange={(event) => changeModel(event.target.value as VirtualModel)} data-testid="station-tray-model">
              {virtualChoices.map((choice) => (
                <option key={choice.model} value={choice.model}>
                  {choice.label}
                </option>
              ))}
            </select>
          </div>
        </div>
        {'problem' in parsed && <p className="field-error">{parsed.problem}</p>}
        <fieldset className="check-group">
          <legend>Faulty units</legend>
          {faults.length === 0 && <p className="field-hint">All units healthy.</p>}
          {faults.map((fault, index) => {
            const problem = faultProblem(fault, count);
            return (
              <div className="station-tray-fault" key={index} data-testid="station-tray-fault">
                <label>
                  Unit{' '}
                  <select value={fault.unit} onChange={(event) => changeFault(index, { unit: Number(event.target.value) })} data-testid="station-tray-fault-unit">
                    {/* A unit past a tray made smaller stays shown as chosen, beside why it is left out, rather than the select quietly showing another. */}
                    {Array.from({ length: Math.max(count, fault.unit) }, (_, i) => i + 1).map((n) => (
                      <option key={n} value={n}>
                        {n}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  <span className="visually-hidden">Fault of unit {fault.unit}</span>
                  <select value={fault.preset} onChange={(event) => changeFault(index, { preset: event.target.value })} data-testid="station-tray-fault-preset">
                    {presets.map((preset) => (
                      <option key={preset.key} value={preset.key}>
                        {preset.label}
                      </option>
                    ))}
                  </select>
                </label>
                <button type="button" className="button-quiet" onClick={() => setFaults((list) => list.filter((_, i) => i !== index))} aria-label={`No fault on unit ${fault.unit}`}>
                  Remove
                </button>
                {problem && <p className="field-error">{problem}</p>}
              </div>
            );
          })}
          <div>
            <button type="button" onClick={addFault} disabled={faults.length >= count} data-testid="station-tray-add-fault">
              Add a faulty unit
            </button>
          </div>
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={attaching || 'problem' in parsed} data-testid="station-tray-attach">
            {attaching ? 'Attaching…' : `Attach ${'count' in parsed ? parsed.count : ''} virtual unit${count === 1 ? '' : 's'}`}
          </button>
          {attached !== null && (
            <span role="status" className="muted">
              {attached} attached: their tiles appear once each is recognised.
            </span>
          )}
        </div>
      </form>
      {error && (
        <div className="inline-error" role="alert" data-testid="station-tray-error">
          <h3>The virtual units could not be attached</h3>
          <ErrorDetails error={error} />
        </div>
      )}
    </section>
  );
}
