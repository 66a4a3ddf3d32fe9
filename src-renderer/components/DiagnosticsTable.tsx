// The readings of one diagnostics report: shared by the device page (live) and the case
// page (the snapshot attached when the case was opened).
import type { DiagnosticsReport, ReadingStatus } from '../../src-main/api/schemas';
import { describeReadingSummary, formatReadingValue, readingStatusLabel, summarizeReadings } from '../stores/selectors';
import { Badge } from './Badge';
import { TimeText } from './TimeText';

const readingTone: Record<ReadingStatus, 'ok' | 'warn' | 'fail' | 'error'> = { ok: 'ok', warn: 'warn', fail: 'fail', error: 'error' };

export function DiagnosticsTable({ report, caption }: { report: DiagnosticsReport; caption: string }) {
  const summary = summarizeReadings(report.readings);
  return (
    <div className="table-scroll">
      <table className="data-table diagnostics-table" data-testid="diagnostics-table">
        <caption>
          {caption} — <span data-testid="diagnostics-summary">{describeReadingSummary(summary)}</span>
          <span className="caption-aside">
            {' '}
            · read <TimeText iso={report.finishedAt} />
          </span>
        </caption>
        <thead>
          <tr>
            <th scope="col">Reading</th>
            <th scope="col" className="numeric">
              Value
            </th>
            <th scope="col">Status</th>
            <th scope="col">Limits</th>
            <th scope="col">Message</th>
            <th scope="col">Read at</th>
          </tr>
        </thead>
        <tbody>
          {report.readings.map((reading) => (
            <tr key={reading.id} data-testid={`reading-${reading.id}`} data-status={reading.status} className={`row-${reading.status}`}>
              <th scope="row">{reading.label}</th>
              <td className="numeric value-cell">{formatReadingValue(reading)}</td>
              <td>
                <Badge tone={readingTone[reading.status]} testId="reading-status">
                  {readingStatusLabel[reading.status]}
                </Badge>
              </td>
              <td className="muted">{reading.limits ?? '—'}</td>
              <td>{reading.message ?? ''}</td>
              <td className="nowrap">
                <TimeText iso={reading.readAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
