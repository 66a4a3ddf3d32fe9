// SMP readings on the device page: MCUmgr buffer parameters, OS, bootloader and its mode,
// and the image slots. Read on request only; a device that does not speak SMP answers
// with an error, shown here as a fact about the device.
import { useId } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { bootloaderModeText } from '../stores/firmware-selectors';
import { NO_SMP } from '../stores/smp-store';
import { formatBytes } from '../format/format-transfer';
import { ImageSlotsTable } from './ImageSlotsTable';
import { InfoNote } from './InfoNote';
import { TimeText } from './TimeText';

export function SmpPanel({ deviceId, updating }: { deviceId: string; updating: boolean }) {
  const { smp: store } = useStores();
  const smp = useStore(store, (s) => s.byDevice[deviceId] ?? NO_SMP);
  const read = useStore(store, (s) => s.read);
  const waitId = useId();
  // The same refusal for info and slots is said once.
  const slotsError = smp.slotsError && smp.slotsError.message !== smp.infoError?.message ? smp.slotsError : null;

  return (
    <section className="panel" aria-labelledby="smp-heading" aria-busy={smp.reading} data-testid="smp-panel">
      <div className="panel-heading">
        <h2 id="smp-heading">SMP readings</h2>
        <button type="button" onClick={() => void read(deviceId)} disabled={smp.reading || updating} aria-describedby={updating ? waitId : undefined}>
          {smp.reading ? 'Reading…' : 'Read SMP info'}
        </button>
      </div>
      {updating && (
        <p id={waitId} className="muted">
          A firmware update holds the device; SMP readings wait until it ends.
        </p>
      )}
      {smp.reading && (
        <div className="progress" role="status">
          <progress aria-label="Reading SMP info" />
          <span>Asking the device over SMP (MCUmgr)…</span>
        </div>
      )}
      {smp.infoError && <InfoNote title="The device did not answer SMP" error={smp.infoError} testId="smp-info-error" />}
      {smp.info && (
        <dl className="identity" data-testid="smp-info">
          <div>
            <dt>MCUmgr buffer</dt>
            <dd>{smp.info.params ? `${smp.info.params.bufCount} × ${formatBytes(smp.info.params.bufSize)}` : 'Not reported'}</dd>
          </div>
          <div>
            <dt>Operating system</dt>
            <dd data-testid="smp-os">{smp.info.os ?? 'Not reported'}</dd>
          </div>
          <div>
            <dt>Bootloader</dt>
            <dd data-testid="smp-bootloader">{smp.info.bootloader ?? 'Not reported'}</dd>
          </div>
          <div>
            <dt>Bootloader mode</dt>
            <dd>{bootloaderModeText(smp.info.bootloaderMode)}</dd>
          </div>
        </dl>
      )}
      {slotsError && <InfoNote title="The image slots could not be read" error={slotsError} testId="smp-slots-error" />}
      {smp.slots && (
<ImageSlotsTable slots={smp.slots} caption="Image slots" testId="smp-slots-table" />
      )}
      {smp.slots && smp.slotsReadAt && (
        <p className="muted table-note">
          Read <TimeText iso={smp.slotsReadAt} />; read again after every firmware update.
        </p>
      )}
      {!smp.info && !smp.infoError && !smp.reading && !smp.slots && (
        <p className="muted">Choose Read SMP info to ask the device for its MCUmgr parameters, bootloader and image slots.</p>
      )}
    </section>
  );
}
