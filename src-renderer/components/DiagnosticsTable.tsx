// Readings in a table: a diagnostics report's (shared by the device page, live, and the case
// page, the snapshot attached when the case was opened), and the values a followed device notifies.
import type { ReactNode } from 'react';
import type { DiagnosticsReport, Reading } from '../../src-main/api/schemas';
import { describeReadingSummary, formatReadingValue, readingStatusLabel, summarizeReadings } from '../stores/selectors';
import { Badge } from './Badge';
import { TimeText } from './TimeText';

export function DiagnosticsTable({ report, caption }: { report: DiagnosticsReport; caption: string }) {
  const summary = summarizeReadings(report.readings);
  return (
    <ReadingsTable
      readings={report.readings}
      testId="diagnostics-table"
      rowTestIdPrefix="reading"
      caption={
        <>
          {caption} — <span data-testid="diagnostics-summary">{describeReadingSummary(summary)}</span>
          <span className="caption-aside">
            {' '}
            · read <TimeText iso={report.finishedAt} />
          </span>
        </>
      }
    />
  );
}

interface ReadingsTableProps {
  readings: readonly Reading[];
  caption: ReactNode;
  testId: string;
  /** Each row's test id is this, a dash and the reading's id. */
  rowTestIdPrefix: string;
}

export function ReadingsTable({ readings, caption, testId, rowTestIdPrefix }: ReadingsTableProps) {
  return (
    <div className="table-scroll">
      <table className="data-table diagnostics-table" data-testid={testId}>
        <caption>{caption}</caption>
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
          {readings.map((reading) => (
            <tr key={reading.id} data-testid={`${rowTestIdPrefix}-${reading.id}`} data-status={reading.status} className={`row-${reading.status}`}>
              <th scope="row">{reading.label}</th>
              <td className="numeric value-cell" data-testid="reading-value">
                {formatReadingValue(reading)}
              </td>
              <td>
                {/* Every reading status is also a badge tone of the same name. */}
                <Badge tone={reading.status} testId="reading-status">
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
