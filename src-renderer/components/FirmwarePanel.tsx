// The firmware panel on the device page: pick or drop an image, read what it is, choose
// how to update, flash, follow the steps and the transfer, cancel while that is safe, and
// read the result (with the slots before and after for MCUboot). The same panel flashes
// USB DFU devices with their own options. All state lives in the firmware store.
import { useEffect, useState, type DragEvent } from 'react';
import { useStore } from 'zustand';
import type { Device } from '../../src-main/api/schemas';
import { useStores } from '../app/renderer-context';
import { formatBytes, percentOf } from '../format/format-transfer';
import { flashBlocker, jobHeading } from '../stores/firmware-selectors';
import { currentJob, dfuJobOptions, NO_FIRMWARE } from '../stores/firmware-store';
import { DfuOptions } from './DfuOptions';
import { ErrorDetails } from './ErrorDetails';
import { FirmwareFileField } from './FirmwareFileField';
import { FirmwareJobView } from './FirmwareJobView';
import { FirmwareOptions } from './FirmwareOptions';
import { FirmwareOutcome, SlotsBeforeAfter } from './FirmwareOutcome';
import { ImageInspectionView } from './ImageInspectionView';

export function FirmwarePanel({ device }: { device: Device }) {
  const { firmware: store } = useStores();
  const fw = useStore(store, (s) => s.byDevice[device.id] ?? NO_FIRMWARE);
  const job = useStore(store, (s) => currentJob(s, device.id));
  const progress = useStore(store, (s) => {
    const jobId = s.byDevice[device.id]?.jobId;
    return jobId ? (s.progress[jobId] ?? null) : null;
  });
  const { chooseFile, chooseKeys, setChoice, setDfuChoice, setCase, flash, cancel, loadCases } = store.getState();
  const dfu = device.firmware?.method === 'usb-dfu';
  const [dropping, setDropping] = useState(false);

  const serial = device.identity?.serialNumber ?? device.usb?.serialNumber ?? null;
  useEffect(() => {
    if (serial !== null) void loadCases(device.id, serial);
  }, [device.id, serial, loadCases]);

  const running = job?.state === 'running';
  const locked = running || fw.starting;
  const blocker = fw.inspection ? flashBlocker(fw.inspection, device.firmware) : null;
  const ready = fw.inspection !== null && fw.preparing === null && !fw.inspecting;
  // A typed start address that is not hex keeps Flash off; the field says why.
  const optionsValid = !dfu || (fw.inspection !== null && dfuJobOptions(fw.dfu, fw.inspection, device) !== null);
  const canFlash = ready && blocker === null && optionsValid && !locked && device.state !== 'identifying' && device.state !== 'busy';

  function onDragOver(event: DragEvent<HTMLElement>) {
    if (locked || !event.dataTransfer.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setDropping(true);
  }
  function onDragLeave(event: DragEvent<HTMLElement>) {
    // Moving between the panel's own children is not leaving it.
    if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDropping(false);
  }
  function onDrop(event: DragEvent<HTMLElement>) {
    setDropping(false);
    if (locked) return;
    event.preventDefault();
    const file = event.dataTransfer.files[0];
    if (file) void chooseFile(device.id, file);
  }

  return (
    <section
      className={`panel firmware-panel${dropping ? ' is-dropping' : ''}`}
      aria-labelledby="firmware-heading"
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
      data-testid="firmware-panel"
    >
      <h2 id="firmware-heading">Firmware update</h2>
      {dropping && (
        <p className="drop-hint" aria-hidden="true">
          Drop the image to inspect it
        </p>
      )}
      <FirmwareFileField
        disabled={locked}
        keyNames={fw.keyNames}
        dfu={dfu}
        onFile={(file) => void chooseFile(device.id, file)}
        onKeys={(files) => void chooseKeys(device.id, files)}
      />

      {fw.preparing && (
        <div className="progress" role="status">
          <progress value={percentOf(fw.preparing.done, fw.preparing.total)} max={100} aria-label="Reading the file" />
          <span>
            Reading {fw.file?.name} ({formatBytes(fw.preparing.total)})…
          </span>
        </div>
      )}
      {fw.inspecting && (
        <div className="progress" role="status">
          <progress aria-label="Inspecting the image" />
          <span>Inspecting {fw.file?.name}…</span>
        </div>
      )}
      {fw.fileError && (
        <div className="inline-error" role="alert" data-testid="firmware-file-error">
          <h3>{fw.file ? `${fw.file.name} could not be inspected` : 'The file could not be read'}</h3>
          <ErrorDetails error={fw.fileError} />
        </div>
      )}
      {fw.inspection && <ImageInspectionView inspection={fw.inspection} dfu={dfu} />}
      {blocker && (
        <p className="inline-warning" data-testid="firmware-blocker">
          <strong>Cannot flash this file.</strong> {blocker}
        </p>
      )}

      {fw.inspection && (
        <>
          {dfu && <DfuOptions device={device} inspection={fw.inspection} choices={fw.dfu} disabled={locked} onChange={(change) => setDfuChoice(device.id, change)} />}
          <FirmwareOptions
            choices={fw.choices}
            cases={fw.cases}
            caseId={fw.caseId}
            disabled={locked}
            mcuboot={!dfu}
            onChoice={(name, value) => setChoice(device.id, name, value)}
            onCase={(caseId) => setCase(device.id, caseId)}
          />
          <div className="toolbar">
            <button type="button" className="button-primary" disabled={!canFlash} onClick={() => void flash(device.id)} data-testid="firmware-flash">
              {fw.starting ? 'Starting…' : `Flash ${fw.inspection.version ?? fw.inspection.fileName}`}
            </button>
            {running && <span className="muted">An update is running on this device.</span>}
          </div>
        </>
      )}

      {fw.startError && (
        <div className="inline-error" role="alert" data-testid="firmware-start-error">
          <h3>The update did not start</h3>
          <ErrorDetails error={fw.startError} />
        </div>
      )}

      {job && (
        <>
          <h3 className="job-heading">{jobHeading(job)}</h3>
          <FirmwareOutcome job={job} />
          <FirmwareJobView
            job={job}
            progress={progress}
            cancelling={fw.cancelling}
            cancelError={fw.cancelError}
            onCancel={() => void cancel(device.id)}
          />
          {!dfu && <SlotsBeforeAfter finished={job.state === 'finished'} before={fw.slotsBefore} after={fw.slotsAfter} readingAfter={fw.readingSlotsAfter} />}
        </>
      )}
    </section>
  );
}
