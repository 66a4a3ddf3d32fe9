// A case's history, oldest first: what happened (opened, snapshot, status, firmware steps)
// and when each note was started, one line each with its time and kind in words.
import type { CaseDetail } from '../../src-main/api/schemas';
import { caseTimeline, timelineKindLabel, timelineKindMark } from '../stores/case-timeline';
import { TimeText } from './TimeText';

export function CaseTimeline({ detail }: { detail: Pick<CaseDetail, 'timeline' | 'notes'> }) {
  const entries = caseTimeline(detail);
  if (entries.length === 0) return <p className="muted">Nothing has happened on this case yet.</p>;
  return (
    <ol className="timeline" data-testid="case-timeline">
      {entries.map((entry) => (
        <li key={entry.key} className={`timeline-entry timeline-${entry.kind}`} data-testid="timeline-entry" data-kind={entry.kind}>
          <TimeText iso={entry.at} />
          <span className="timeline-kind">
            <span aria-hidden="true">{timelineKindMark[entry.kind]} </span>
            {timelineKindLabel[entry.kind]}
          </span>
          <span className="timeline-summary">{entry.summary}</span>
          {entry.details && (
            <ul className="timeline-details" data-testid="timeline-details">
              {entry.details.map((line, index) => (
                <li key={index}>{line}</li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ol>
  );
}
