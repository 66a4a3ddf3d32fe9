// The end of a firmware job, worded so it cannot be misread (confirmed, reverted and why,
// uploaded, failed at which step and why, cancelled), and the slots before and after it.
import type { FirmwareJob, ImageSlot } from '../../src-main/api/schemas';
import { outcomeView } from '../stores/firmware-selectors';
import { ImageSlotsTable } from './ImageSlotsTable';

const outcomeMark = { ok: '✓', warn: '↺', fail: '✕', busy: '…', neutral: '■' } as const;

export function FirmwareOutcome({ job }: { job: FirmwareJob }) {
  const view = outcomeView(job);
  if (!view) return null;
  return (
    <div className={`firmware-outcome outcome-${view.tone}`} role="status" data-testid="firmware-outcome" data-outcome={view.outcome}>
      <p className="outcome-title">
        <span className="outcome-mark" aria-hidden="true">
          {outcomeMark[view.tone]}
        </span>
        <span data-testid="firmware-outcome-title">{view.title}</span>
      </p>
      {view.lines.map((line) => (
        <p key={line}>{line}</p>
      ))}
    </div>
  );
}

interface SlotsBeforeAfterProps {
  finished: boolean;
  before: ImageSlot[] | null;
  after: ImageSlot[] | null;
  readingAfter: boolean;
}

export function SlotsBeforeAfter({ finished, before, after, readingAfter }: SlotsBeforeAfterProps) {
  if (!before && !finished) return null;
  return (
    <div className="slots-compare">
      {before && <ImageSlotsTable slots={before} caption="Slots before the update" testId="slots-before" />}
      {finished &&
        (after ? (
          <ImageSlotsTable slots={after} caption="Slots after the update" testId="slots-after" />
        ) : (
          <p className="muted" role="status">
            {readingAfter ? 'Reading the slots after the update…' : 'The slots could not be read after the update; see SMP readings.'}
          </p>
        ))}
    </div>
  );
}
