// Choosing the firmware image (and, for MCUboot, optionally public keys to check its signature with):
// real file inputs with labels, so the keyboard and screen readers reach them; dropping a
// file on the panel is the mouse's shortcut to the same thing (see FirmwarePanel).
import { useId, type ChangeEvent, type MouseEvent } from 'react';

interface FirmwareFileFieldProps {
  disabled: boolean;
  keyNames: readonly string[];
  /** A USB DFU device: DFU, DfuSe, HEX, S-record or raw files, and no signatures to check. */
  dfu?: boolean;
  onFile(file: File): void;
  onKeys(files: File[]): void;
}

/** The extensions `firmware.inspect` reads; the content decides the format, not the name. */
const IMAGE_TYPES = '.bin,.img,.hex,.ihex,.srec,.s19,.s28,.s37,.mot';
const DFU_IMAGE_TYPES = `.dfu,${IMAGE_TYPES}`;

export function FirmwareFileField({ disabled, keyNames, dfu = false, onFile, onKeys }: FirmwareFileFieldProps) {
  const fileId = useId();
  const fileHintId = useId();
  const keysId = useId();

  function picked(event: ChangeEvent<HTMLInputElement>, take: (files: File[]) => void) {
    const files = [...(event.target.files ?? [])];
    if (files.length > 0) take(files);
  }
  // Cleared as the dialog opens, so picking the same file again (rebuilt since) is a new pick,
  // while the input still names the file picked last.
  const clear = (event: MouseEvent<HTMLInputElement>) => (event.currentTarget.value = '');

  return (
    <div className="firmware-files">
      <div className="field">
        <label htmlFor={fileId}>Firmware image</label>
        <input
          id={fileId}
          type="file"
          accept={dfu ? DFU_IMAGE_TYPES : IMAGE_TYPES}
          disabled={disabled}
          aria-describedby={fileHintId}
          onClick={clear}
          onChange={(event) => picked(event, ([file]) => file && onFile(file))}
          data-testid="firmware-file"
        />
        <p id={fileHintId} className="field-hint">
          {dfu
            ? 'A .dfu or DfuSe file, Intel HEX, S-record or raw binary, or drop the file anywhere on this panel.'
            : 'An MCUboot image (the signed .bin the build wrote), or drop the file anywhere on this panel.'}
        </p>
      </div>
      {!dfu && (
        <div className="field">
          <label htmlFor={keysId}>Public keys to check the signature (optional)</label>
          <input id={keysId} type="file" accept=".pem" multiple disabled={disabled} onClick={clear} onChange={(event) => picked(event, onKeys)} />
          <p className="field-hint">{keyNames.length > 0 ? `Checking with ${keyNames.join(', ')}` : 'PEM files; the device profile’s own keys are checked when flashing.'}</p>
        </div>
      )}
    </div>
  );
}
