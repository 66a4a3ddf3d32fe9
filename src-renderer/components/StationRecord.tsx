// The production record: every run of a unit found by its serial number, newest first, with
// its procedure steps to open; and the production log of a date range saved as CSV or JSON lines.
import { Fragment, useId, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { StationExportFormat } from '../../src-main/api/station-schemas';
import { useStores } from '../app/renderer-context';
import { saveBase64AsFile } from '../app/save-file';
import { exportRange } from '../station/export-range';
import { runRow, type TileTone } from '../stores/station-selectors';
import { Badge, type BadgeTone } from './Badge';
import { ErrorDetails } from './ErrorDetails';
import { TimeText } from './TimeText';

const badgeTone: Record<TileTone, BadgeTone> = { pass: 'ok', fail: 'fail', warn: 'warn', busy: 'busy', idle: 'neutral', muted: 'neutral' };

export function StationRecord() {
  return (
    <section className="panel" aria-labelledby="station-record-heading" data-testid="station-record">
      <h2 id="station-record-heading">Production record</h2>
      <StationRunSearch />
      <StationExportForm />
    </section>
  );
}

function StationRunSearch() {
  const { station } = useStores();
  const record = useStore(station, (s) => s.record);
  const [serial, setSerial] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const serialId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void station.getState().searchRuns(serial);
  };
  const rows = record?.runs?.map(runRow) ?? null;

  return (
    <>
      <form className="inline-form" onSubmit={submit} aria-label="Find a unit's runs">
        <div className="field field-grow">
          <label htmlFor={serialId}>Serial number</label>
          <input id={serialId} type="text" value={serial} onChange={(event) => setSerial(event.target.value)} maxLength={200} spellCheck={false} data-testid="station-record-serial" />
        </div>
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={!serial.trim() || (record?.searching ?? false)} data-testid="station-record-search">
            Find runs
          </button>
        </div>
      </form>
      {record?.error && (
        <div className="inline-error" role="alert">
          <h3>The record could not be searched</h3>
          <ErrorDetails error={record.error} />
        </div>
      )}
      {record && rows && rows.length === 0 && (
        <p className="muted" role="status" data-testid="station-record-empty">
          No runs recorded for {record.serialNumber}.
        </p>
      )}
      {record && rows && rows.length > 0 && (
        <div className="table-scroll">
          <table className="data-table" data-testid="station-record-runs">
            <caption>
              Runs of {record.serialNumber} ({rows.length}), newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Outcome</th>
                <th scope="col">Image</th>
                <th scope="col">Before → after</th>
                <th scope="col">Reason</th>
                <th scope="col">Operator</th>
                <th scope="col">Station</th>
                <th scope="col">Steps</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <Fragment key={row.id}>
                  <tr data-testid="station-record-run" data-outcome={row.outcome}>
                    <td>
                      <TimeText iso={row.startedAt} />
                    </td>
                    <td>
                      <Badge tone={badgeTone[row.outcomeTone]}>{row.outcome}</Badge>
                    </td>
                    <td>{row.imageVersion}</td>
                    <td>{row.versions}</td>
                    <td data-testid="station-record-reason">{row.reason}</td>
                    <td>{row.operator}</td>
                    <td>{row.station}</td>
                    <td>
                      {row.steps.length === 0 ? (
                        '—'
                      ) : (
                        <button type="button" className="button-link" aria-expanded={open === row.id} onClick={() => setOpen(open === row.id ? null : row.id)}>
                          {open === row.id ? 'Hide' : 'Show'} {row.steps.length} steps
                        </button>
                      )}
                    </td>
                  </tr>
                  {open === row.id && (
                    <tr>
                      <td colSpan={8}>
                        <ul className="station-run-steps" data-testid="station-record-steps">
                          {row.steps.map((step) => (
                            <li key={step.id}>{step.text}</li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function StationExportForm() {
  const { station } = useStores();
  const exporting = useStore(station, (s) => s.pending.export ?? false);
  const error = useStore(station, (s) => s.errors.export ?? null);
  const [format, setFormat] = useState<StationExportFormat>('csv');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const fromId = useId();
  const toId = useId();
  const range = exportRange(from, to);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!('filter' in range)) return;
    setSaved(null);
    const file = await station.getState().exportLog(format, range.filter);
    if (!file) return;
    saveBase64AsFile(file.contentBase64, file.fileName, file.mediaType);
    setSaved(`${file.runs} run${file.runs === 1 ? '' : 's'} saved as ${file.fileName}`);
  };

  return (
    <form className="station-export" onSubmit={(event) => void submit(event)} aria-label="Export production log">
      <h3>Export production log</h3>
      <div className="inline-form">
        <fieldset className="check-group">
          <legend>Format</legend>
          <label className="check-option">
            <input type="radio" name="station-export-format" checked={format === 'csv'} onChange={() => setFormat('csv')} data-testid="station-export-csv" />
            <span className="check-label">CSV</span>
          </label>
          <label className="check-option">
            <input type="radio" name="station-export-format" checked={format === 'jsonl'} onChange={() => setFormat('jsonl')} data-testid="station-export-jsonl" />
            <span className="check-label">JSON lines</span>
          </label>
        </fieldset>
        <div className="field">
          <label htmlFor={fromId}>From (day, optional)</label>
          <input id={fromId} type="date" value={from} onChange={(event) => setFrom(event.target.value)} data-testid="station-export-from" />
        </div>
        <div className="field">
          <label htmlFor={toId}>To (day, included)</label>
          <input id={toId} type="date" value={to} onChange={(event) => setTo(event.target.value)} data-testid="station-export-to" />
        </div>
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={exporting || !('filter' in range)} data-testid="station-export">
            {exporting ? 'Exporting…' : 'Export production log'}
          </button>
        </div>
      </div>
      {'problem' in range && <p className="field-error">{range.problem}</p>}
      {saved && (
        <p className="muted" role="status" data-testid="station-export-saved">
          {saved}
        </p>
      )}
      {error && (
        <div className="inline-error" role="alert">
          <h3>The production log could not be exported</h3>
          <ErrorDetails error={error} />
        </div>
      )}
    </form>
  );
}
