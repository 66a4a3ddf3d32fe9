// How to run an MCUboot update: upload only, allow a downgrade, or boot the image for a test
// and let MCUboot revert it; and, for any update, which open case of the device the steps
// are recorded on.
import { useId } from 'react';
import type { CaseSummary } from '../../src-main/api/schemas';
import type { FirmwareChoices } from '../stores/firmware-store';

interface FirmwareOptionsProps {
  choices: FirmwareChoices;
  cases: readonly CaseSummary[];
  caseId: string | null;
  disabled: boolean;
  /** The MCUboot choices apply (a USB DFU device has none of them). */
  mcuboot: boolean;
  onChoice(name: keyof FirmwareChoices, value: boolean): void;
  onCase(caseId: string | null): void;
}

const options: { name: keyof FirmwareChoices; label: string; hint: string }[] = [
  { name: 'uploadOnly', label: 'Upload only', hint: 'Stop once the image is in the secondary slot; the device keeps running its current image.' },
  { name: 'allowDowngrade', label: 'Allow downgrade', hint: 'Install a version older than the one running. Refused without this.' },
  {
    name: 'doNotConfirm',
    label: 'Do not confirm (test and revert)',
    hint: 'Boot the new image once, then reset without confirming, so MCUboot goes back to the current image.',
  },
];

export function FirmwareOptions({ choices, cases, caseId, disabled, mcuboot, onChoice, onCase }: FirmwareOptionsProps) {
  const caseSelectId = useId();
  return (
    <div className="firmware-options">
      {mcuboot && (
        <fieldset className="check-group" disabled={disabled}>
          <legend>How to update</legend>
          {options.map((option) => (
            <label key={option.name} className="check-option">
              <input
                type="checkbox"
                checked={choices[option.name]}
                // Without the test-and-confirm part there is nothing to leave unconfirmed.
                disabled={option.name === 'doNotConfirm' && choices.uploadOnly}
                onChange={(event) => onChoice(option.name, event.target.checked)}
              />
              <span>
                <span className="check-label">{option.label}</span>
                <span className="field-hint">{option.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
      <div className="field">
        <label htmlFor={caseSelectId}>Record the steps on a case</label>
        <select id={caseSelectId} value={caseId ?? ''} disabled={disabled || cases.length === 0} onChange={(event) => onCase(event.target.value || null)} data-testid="firmware-case">
          <option value="">{cases.length === 0 ? 'No open case for this device' : 'No case'}</option>
          {cases.map((c) => (
            <option key={c.id} value={c.id}>
              {c.title}
            </option>
          ))}
        </select>
        <p className="field-hint">Each step goes on the case’s timeline as it happens; Fieldbench’s firmware journal keeps it either way.</p>
      </div>
    </div>
  );
}
