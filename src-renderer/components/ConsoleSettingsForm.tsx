// How the console opens the port: baud rate (the common ones, or any other), data bits,
// parity, stop bits, flow control, and what ends each command sent. Before a console is open
// it opens one; on an open console it applies the change (the port is opened again).
import { useId, useState, type FormEvent } from 'react';
import type { LineEnding, SerialSettings } from '../../src-main/api/console-schemas';

export const COMMON_BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1000000, 2000000, 3000000] as const;

export const DEFAULT_SETTINGS: SerialSettings = { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' };

const LINE_ENDINGS: { value: LineEnding; label: string }[] = [
  { value: 'crlf', label: 'CR LF' },
  { value: 'lf', label: 'LF' },
  { value: 'cr', label: 'CR' },
  { value: 'none', label: 'None' },
];

const CUSTOM = 'custom';

interface ConsoleSettingsFormProps {
  /** The open console's settings, or null before one is open. */
  settings: SerialSettings | null;
  lineEnding: LineEnding;
  live: boolean;
  busy: boolean;
  /** A BLE UART has no serial settings: only the line ending applies. */
  serial: boolean;
  /** Only what the person changed, so an untouched form leaves the profile's defaults alone. */
  onSubmit(settings: Partial<SerialSettings>, lineEnding: LineEnding): void;
}

export function ConsoleSettingsForm({ settings, lineEnding, live, busy, serial, onSubmit }: ConsoleSettingsFormProps) {
  const id = useId();
  const start = settings ?? DEFAULT_SETTINGS;
  const [draft, setDraft] = useState<SerialSettings>(start);
  const [ending, setEnding] = useState<LineEnding>(lineEnding);
  const [custom, setCustom] = useState(!(COMMON_BAUD_RATES as readonly number[]).includes(start.baudRate));
  const [customText, setCustomText] = useState(String(start.baudRate));
  const [touched, setTouched] = useState<ReadonlySet<keyof SerialSettings>>(new Set());
  const change = <K extends keyof SerialSettings>(key: K, value: SerialSettings[K]) => {
    setDraft({ ...draft, [key]: value });
    setTouched(new Set([...touched, key]));
  };
  const customBaud = Number(customText);
  const baudValid = !custom || (Number.isInteger(customBaud) && customBaud >= 50 && customBaud <= 12_000_000);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!baudValid) return;
    const full = custom ? { ...draft, baudRate: customBaud } : draft;
    const changed: Partial<SerialSettings> = {};
    for (const key of touched) Object.assign(changed, { [key]: full[key] });
    if (custom) changed.baudRate = customBaud;
    onSubmit(changed, ending);
  };

  return (
    <form className="inline-form console-settings" onSubmit={submit} data-testid="console-settings">
      {serial && (
        <>
          <div className="field">
            <label htmlFor={`${id}-baud`}>Baud rate</label>
            <select
              id={`${id}-baud`}
              value={custom ? CUSTOM : String(draft.baudRate)}
              onChange={(event) => {
                const value = event.target.value;
                setCustom(value === CUSTOM);
                if (value === CUSTOM) setTouched(new Set([...touched, 'baudRate']));
                if (value !== CUSTOM) change('baudRate', Number(value));
              }}
            >
              {COMMON_BAUD_RATES.map((rate) => (
                <option key={rate} value={rate}>
                  {rate.toLocaleString('en-US')}
                </option>
              ))}
              <option value={CUSTOM}>Other…</option>
            </select>
          </div>
          {custom && (
            <div className="field">
              <label htmlFor={`${id}-custom`}>Other baud rate</label>
              <input
                id={`${id}-custom`}
                type="text"
                inputMode="numeric"
                value={customText}
                onChange={(event) => setCustomText(event.target.value.trim())}
                aria-invalid={!baudValid}
                aria-describedby={`${id}-custom-hint`}
              />
              <span id={`${id}-custom-hint`} className="field-hint">
                {baudValid ? '50 to 12,000,000' : 'A whole number from 50 to 12,000,000'}
              </span>
            </div>
          )}
          <div className="field">
            <label htmlFor={`${id}-data`}>Data bits</label>
            <select id={`${id}-data`} value={draft.dataBits} onChange={(event) => change('dataBits', Number(event.target.value) as SerialSettings['dataBits'])}>
              {[8, 7, 6, 5].map((bits) => (
                <option key={bits} value={bits}>
                  {bits}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-parity`}>Parity</label>
            <select id={`${id}-parity`} value={draft.parity} onChange={(event) => change('parity', event.target.value as SerialSettings['parity'])}>
              {(['none', 'even', 'odd', 'mark', 'space'] as const).map((parity) => (
                <option key={parity} value={parity}>
                  {parity}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-stop`}>Stop bits</label>
            <select id={`${id}-stop`} value={draft.stopBits} onChange={(event) => change('stopBits', Number(event.target.value) as SerialSettings['stopBits'])}>
              {[1, 1.5, 2].map((bits) => (
                <option key={bits} value={bits}>
                  {bits}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-flow`}>Flow control</label>
            <select id={`${id}-flow`} value={draft.flowControl} onChange={(event) => change('flowControl', event.target.value as SerialSettings['flowControl'])}>
              <option value="none">none</option>
              <option value="rts-cts">RTS/CTS</option>
              <option value="xon-xoff">XON/XOFF</option>
            </select>
          </div>
        </>
      )}
      <div className="field">
        <label htmlFor={`${id}-ending`}>Line ending</label>
        <select id={`${id}-ending`} value={ending} onChange={(event) => setEnding(event.target.value as LineEnding)}>
          {LINE_ENDINGS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className={live ? undefined : 'button-primary'} disabled={busy || !baudValid} data-testid={live ? 'console-apply' : 'console-open'}>
        {live ? 'Apply settings' : 'Open console'}
      </button>
    </form>
  );
}
