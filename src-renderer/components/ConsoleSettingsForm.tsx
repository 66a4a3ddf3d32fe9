// How the console opens the port: baud rate (the common ones, or any other), data bits,
// parity, stop bits, flow control, and what ends each command sent. Before a console is open
// it opens one; on an open console it applies the change (the port is opened again).
import { useId, useState, type FormEvent } from 'react';
import type { LineEnding, SerialSettings } from '../../src-main/api/console-schemas';

const COMMON_BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1000000, 2000000, 3000000] as const;

const DEFAULT_SETTINGS: SerialSettings = { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' };

const LINE_ENDINGS: Option<LineEnding>[] = [
  { value: 'crlf', label: 'CR LF' },
  { value: 'lf', label: 'LF' },
  { value: 'cr', label: 'CR' },
  { value: 'none', label: 'None' },
];

const DATA_BITS: Option<SerialSettings['dataBits']>[] = [8, 7, 6, 5].map((bits) => ({ value: bits as SerialSettings['dataBits'], label: String(bits) }));
const PARITIES: Option<SerialSettings['parity']>[] = (['none', 'even', 'odd', 'mark', 'space'] as const).map((parity) => ({ value: parity, label: parity }));
const STOP_BITS: Option<SerialSettings['stopBits']>[] = [1, 1.5, 2].map((bits) => ({ value: bits as SerialSettings['stopBits'], label: String(bits) }));
const FLOW_CONTROLS: Option<SerialSettings['flowControl']>[] = [
  { value: 'none', label: 'none' },
  { value: 'rts-cts', label: 'RTS/CTS' },
  { value: 'xon-xoff', label: 'XON/XOFF' },
];

const CUSTOM = 'custom';

interface Option<T extends string | number> {
  value: T;
  label: string;
}

/** A labelled select over typed values: the option chosen is found by its text, so numbers stay numbers. */
function Choice<T extends string | number>({ id, label, value, options, onChange }: { id: string; label: string; value: T; options: readonly Option<T>[]; onChange(value: T): void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={String(value)}
        onChange={(event) => {
          const chosen = options.find((option) => String(option.value) === event.target.value);
          if (chosen) onChange(chosen.value);
        }}
      >
        {options.map((option) => (
          <option key={String(option.value)} value={String(option.value)}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

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
          <Choice id={`${id}-data`} label="Data bits" value={draft.dataBits} options={DATA_BITS} onChange={(value) => change('dataBits', value)} />
          <Choice id={`${id}-parity`} label="Parity" value={draft.parity} options={PARITIES} onChange={(value) => change('parity', value)} />
          <Choice id={`${id}-stop`} label="Stop bits" value={draft.stopBits} options={STOP_BITS} onChange={(value) => change('stopBits', value)} />
          <Choice id={`${id}-flow`} label="Flow control" value={draft.flowControl} options={FLOW_CONTROLS} onChange={(value) => change('flowControl', value)} />
        </>
      )}
      <Choice<LineEnding> id={`${id}-ending`} label="Line ending" value={ending} options={LINE_ENDINGS} onChange={setEnding} />
      <button type="submit" className={live ? undefined : 'button-primary'} disabled={busy || !baudValid} data-testid={live ? 'console-apply' : 'console-open'}>
        {live ? 'Apply settings' : 'Open console'}
      </button>
    </form>
  );
}
