// A firmware job while it runs and after: the transfer's progress (upload, or erase, write
// and read-back for DFU: percent, bytes, rate, time left), the
// live list of steps with status and detail, and Cancel while cancelling is still safe.
import { useId } from 'react';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { FirmwareJob, FirmwareProgress } from '../../src-main/api/schemas';
import { notCancellableText, progressPhase, progressView, stepRows, stepStatusText } from '../stores/firmware-selectors';
import { Badge } from './Badge';
import { ErrorDetails } from './ErrorDetails';
import { TimeText } from './TimeText';

interface FirmwareJobViewProps {
  job: FirmwareJob;
  progress: FirmwareProgress | null;
  cancelling: boolean;
  cancelError: ApiErrorShape | null;
  onCancel(): void;
}

export function FirmwareJobView({ job, progress, cancelling, cancelError, onCancel }: FirmwareJobViewProps) {
  const rows = stepRows(job);
  const running = job.state === 'running';
  const cancellable = job.cancellable;
  const current = running ? rows.findLast((row) => row.status === 'running') : undefined;
  // Progress belongs to the step that runs now; a late event of the previous phase is not shown as this one.
  const moving = current !== undefined && progressPhase[current.step] !== undefined && progress !== null && progress.jobId === job.id && progress.step === current.step;
  const view = moving ? progressView(progress) : null;
  const explainId = useId();

  return (
    <section className="firmware-job" aria-label="Firmware update progress" data-testid="firmware-job" data-state={job.state}>
      {running && (
        <div className="firmware-progress" role="status" aria-live="polite">
          {view ? (
            <>
              <progress value={view.percent} max={100} aria-label={`${view.phase} progress`} data-testid="firmware-progress" data-phase={progress?.step} />
              <span>
                <span data-testid="firmware-progress-phase">{view.phase}</span>: <span data-testid="firmware-progress-text">{view.text}</span>
              </span>
            </>
          ) : (
            <>
              <progress aria-label="Update in progress" />
              <span>{current ? `${current.label}…` : 'Starting…'}</span>
            </>
          )}
        </div>
      )}

      <ol className="step-list" aria-label="Update steps" data-testid="firmware-steps">
        {rows.map((row) => {
          const status = stepStatusText[row.status];
          return (
            <li key={row.key} className={row.nested ? 'step-nested' : undefined} data-testid="firmware-step" data-step={row.step} data-status={row.status}>
              <Badge tone={status.tone}>{status.label}</Badge>
              <span className="step-label">{row.label}</span>
              <TimeText iso={row.startedAt} />
              {row.detail && <span className="step-detail">{row.detail}</span>}
            </li>
          );
        })}
      </ol>

      {running && (
        <div className="toolbar">
          <button
            type="button"
            className="button-danger"
            onClick={onCancel}
            disabled={!cancellable || cancelling}
            aria-describedby={cancellable ? undefined : explainId}
            data-testid="firmware-cancel"
          >
            {cancelling ? 'Cancelling…' : 'Cancel update'}
          </button>
          {!cancellable && (
            <span id={explainId} className="muted" data-testid="firmware-cancel-explanation">
              {notCancellableText(job.device.transport)}
            </span>
          )}
        </div>
      )}
      {cancelError && (
        <div className="inline-error" role="alert">
          <h3>The update could not be cancelled</h3>
          <ErrorDetails error={cancelError} />
        </div>
      )}
    </section>
  );
}
