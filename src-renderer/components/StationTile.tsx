// One unit on the bench: its serial number, port and live state. A verdict fills the whole
// tile with its colour and its word in type readable from across the bench, and is announced;
// a unit asking the operator something shows the question inside its own tile.
import { useState } from 'react';
import { useStore } from 'zustand';
import type { StationUnit } from '../../src-main/api/station-schemas';
import { useStores } from '../app/renderer-context';
import { abortQuestionOpen, promptKey, runOf, tileView } from '../stores/station-selectors';
import { ErrorDetails } from './ErrorDetails';
import { StationPromptForm } from './StationPromptForm';

export function StationTile({ unit, canStart }: { unit: StationUnit; canStart: boolean }) {
  const { station } = useStores();
  const view = tileView(unit);
  const key = `unit:${unit.deviceId}` as const;
  const pending = useStore(station, (s) => s.pending[key] ?? false);
  const error = useStore(station, (s) => s.errors[key] ?? null);
  const [abortAskedFor, setAbortAskedFor] = useState<string | null>(null);
  const confirmingAbort = abortQuestionOpen(unit, abortAskedFor);
  const unitName = view.serialKnown ? `Unit ${view.title}` : `Unit on ${view.label}`;

  const abort = () => {
    setAbortAskedFor(null);
    void station.getState().abort(unit.deviceId);
  };

  return (
    <li
      className={`station-tile station-tone-${view.tone}${view.prompt ? ' station-tile-asks' : ''}`}
      data-testid="station-tile"
      data-device={unit.deviceId}
      data-serial={unit.serialNumber ?? ''}
      data-state={view.state}
      aria-label={`${unitName}: ${view.stateText}`}
    >
      <div className="station-tile-head">
        <p className={view.serialKnown ? 'station-serial' : 'station-serial station-serial-unknown'} data-testid="station-tile-serial">
          {view.title}
        </p>
        <p className="station-port">
          {view.label}
          {!view.present && ' · disconnected'}
        </p>
      </div>
      {/* The state line is a live region: a verdict is announced with the unit it belongs to. */}
      <div role="status" aria-live={view.verdict ? 'assertive' : 'polite'} aria-atomic="true">
        <span className="visually-hidden">{unitName}: </span>
        {view.verdict ? (
          <p className="station-verdict" data-testid="station-verdict">
            {view.verdict}
          </p>
        ) : (
          <p className="station-state" data-testid="station-state">
            {view.stateText}
          </p>
        )}
      </div>
      {view.progressPercent !== null && (
        <div className="station-progress">
          <progress max={100} value={view.progressPercent} aria-label={`Upload to ${unitName}`} />
          <span data-testid="station-progress">{view.progressPercent}%</span>
        </div>
      )}
      {view.detail && (
        <p className="station-detail" data-testid="station-detail">
          {view.detail}
        </p>
      )}
      {view.prompt && <StationPromptForm key={promptKey(view.prompt)} prompt={view.prompt} unitName={unitName} deviceId={unit.deviceId} />}
      <div className="station-tile-actions">
        {view.canStart && (
          <button type="button" className="button-primary" disabled={pending || !canStart} onClick={() => void station.getState().start(unit.deviceId)} aria-label={`${view.startText}: ${unitName}`} data-testid="station-tile-start">
            {view.startText}
          </button>
        )}
        {view.canAbort && !confirmingAbort && (
          <button type="button" className="button-danger" disabled={pending} onClick={() => (view.abortNeedsConfirm ? setAbortAskedFor(runOf(unit)) : abort())} aria-label={`Abort ${unitName}`} data-testid="station-tile-abort">
            Abort
          </button>
        )}
        {view.canAbort && confirmingAbort && (
          <span className="station-confirm" role="group" aria-label={`Abort ${unitName}?`}>
            <span>Abort {unitName} mid-run?</span>
            <button type="button" className="button-danger" disabled={pending} onClick={abort} data-testid="station-tile-abort-confirm">
              Yes, abort
            </button>
            {/* The question replaces the focused Abort button: focus lands on the safe answer, not on the page. */}
            <button type="button" onClick={() => setAbortAskedFor(null)} autoFocus>
              No
            </button>
          </span>
        )}
      </div>
      {error && (
        <div className="inline-error" role="alert">
          <ErrorDetails error={error} />
        </div>
      )}
    </li>
  );
}
