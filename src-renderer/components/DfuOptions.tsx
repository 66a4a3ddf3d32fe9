// How to flash a USB DFU device: the alt setting (the memory) to write, where a raw binary
// goes, mass erase, leaving DFU mode afterwards, ignoring a file made for other ids, and
// removing read protection, which wipes the whole flash and so is confirmed separately.
import { useId, useState } from 'react';
import type { Device, ImageInspection } from '../../src-main/api/schemas';
import { dfuFileFacts } from '../stores/firmware-selectors';
import { chosenAlt, type DfuChoices } from '../stores/firmware-store';
import { altLabel, parseHexAddress } from '../stores/usb-selectors';

interface DfuOptionsProps {
  device: Pick<Device, 'usb' | 'firmware'>;
  inspection: ImageInspection;
  choices: DfuChoices;
  disabled: boolean;
  onChange(change: Partial<DfuChoices>): void;
}

export function DfuOptions({ device, inspection, choices, disabled, onChange }: DfuOptionsProps) {
  const altId = useId();
  const addressId = useId();
  const addressHintId = useId();
  const [confirmingUnprotect, setConfirmingUnprotect] = useState(false);
  const dfu = device.usb?.dfu;
  const dfuse = device.firmware?.method === 'usb-dfu' && device.firmware.dfuse;
  const facts = dfuFileFacts(inspection, device);
  const alt = chosenAlt(choices, inspection, device);
  // The bootloader's alt settings are known only once it runs; an application lists its runtime interface.
  const alts = dfu?.mode === 'dfu' ? dfu.alts : [];
  const addressBad = facts.addressNeeded && choices.addressText.trim() !== '' && parseHexAddress(choices.addressText) === null;

  return (
    <div className="firmware-options" data-testid="dfu-options">
      {alts.length > 0 ? (
        <div className="field">
          <label htmlFor={altId}>Memory to write (alt setting)</label>
          <select
            id={altId}
            value={alt ?? ''}
            disabled={disabled}
            onChange={(event) => onChange({ alt: event.target.value === '' ? null : Number(event.target.value) })}
            data-testid="dfu-alt-select"
          >
            {/* Nothing picked and nothing in the file: the job takes the device profile's alt. */}
            {facts.fileAlt === null && <option value="">The device profile’s (else alt 0)</option>}
            {alts.map((a) => (
              <option key={`${a.interfaceNumber}-${a.alternateSetting}`} value={a.alternateSetting}>
                {altLabel(a)}
              </option>
            ))}
          </select>
          {facts.fileAlt !== null && alt !== facts.fileAlt && (
            <p className="inline-warning">The file’s target is for alt {facts.fileAlt}; flashing through another alt setting is refused.</p>
          )}
        </div>
      ) : (
        <p className="field-hint">
          The memory to write is chosen once the device is in DFU mode: the device profile’s alt setting, else alt 0. Enter DFU mode first
          to pick another.
        </p>
      )}

      {facts.addressNeeded && (
        <div className="field">
          <label htmlFor={addressId}>Start address</label>
          <input
            id={addressId}
            type="text"
            value={choices.addressText}
            disabled={disabled}
            onChange={(event) => onChange({ addressText: event.target.value })}
            placeholder="0x08000000"
            spellCheck={false}
            autoComplete="off"
            aria-invalid={addressBad}
            aria-describedby={addressHintId}
            data-testid="dfu-address"
          />
          <p id={addressHintId} className={addressBad ? 'inline-warning' : 'field-hint'}>
            {addressBad
              ? 'Type one hex address, such as 0x08000000.'
              : 'A raw binary carries no address: it is written from here. Empty: the device profile’s default address.'}
          </p>
        </div>
      )}

      <fieldset className="check-group" disabled={disabled}>
        <legend>How to flash</legend>
        {dfuse && (
          <label className="check-option">
            <input type="checkbox" checked={choices.massErase} onChange={(event) => onChange({ massErase: event.target.checked })} data-testid="dfu-mass-erase" />
            <span>
              <span className="check-label">Mass erase</span>
              <span className="field-hint">Erase the whole flash first, not only the pages the file covers. Data kept in flash is lost.</span>
            </span>
          </label>
        )}
        <label className="check-option">
          <input type="checkbox" checked={choices.leave} onChange={(event) => onChange({ leave: event.target.checked })} data-testid="dfu-leave" />
          <span>
            <span className="check-label">Leave DFU mode afterwards</span>
            <span className="field-hint">Start the new firmware when done. Off: the device stays in its bootloader, ready for another flash.</span>
          </span>
        </label>
        {facts.idMismatch && (
          <label className="check-option">
            <input
              type="checkbox"
              checked={choices.ignoreIdMismatch}
              onChange={(event) => onChange({ ignoreIdMismatch: event.target.checked })}
              data-testid="dfu-ignore-ids"
            />
            <span>
              <span className="check-label">Ignore the VID:PID mismatch</span>
              <span className="field-hint">
                The file is made for <code>{facts.idMismatch.file}</code>; this device is <code>{facts.idMismatch.device}</code>. Flash it
                anyway only if you know the file fits this board.
              </span>
            </span>
          </label>
        )}
        {dfuse && (
          <label className="check-option">
            <input
              type="checkbox"
              checked={choices.readUnprotect}
              // Ticking only asks; the option is set once the warning below is confirmed.
              onChange={(event) => (event.target.checked ? setConfirmingUnprotect(true) : onChange({ readUnprotect: false }))}
              data-testid="dfu-read-unprotect"
            />
            <span>
              <span className="check-label">Remove read protection</span>
              <span className="field-hint">For a board whose flash is read-protected (RDP level 1), which refuses every write until this is done.</span>
            </span>
          </label>
        )}
      </fieldset>

      {confirmingUnprotect && (
        <div className="inline-error" role="alertdialog" aria-label="Confirm removing read protection" data-testid="dfu-unprotect-confirm">
          <h3>This ERASES THE WHOLE FLASH</h3>
          <p>
            Removing read protection makes the chip mass-erase itself: the application, its settings and any data kept in flash are gone,
            not only the pages this file covers. It cannot be undone.
          </p>
          <div className="toolbar">
            <button
              type="button"
              className="button-danger"
              onClick={() => {
                onChange({ readUnprotect: true });
                setConfirmingUnprotect(false);
              }}
              data-testid="dfu-unprotect-yes"
            >
              Erase everything and remove protection
            </button>
            <button type="button" onClick={() => setConfirmingUnprotect(false)} data-testid="dfu-unprotect-no">
              Keep protection
            </button>
          </div>
        </div>
      )}
      {choices.readUnprotect && !confirmingUnprotect && (
        <p className="inline-warning" data-testid="dfu-unprotect-armed">
          <strong>Read protection will be removed:</strong> the whole flash is erased before this file is written.
        </p>
      )}
    </div>
  );
}
