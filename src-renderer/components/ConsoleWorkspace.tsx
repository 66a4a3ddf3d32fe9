// Everything a console page shows around one capture, live or from disk: its state, the
// filter, highlights and search, the virtualised log, the command line (live only), marks,
// known issues, and capturing to a case or a file.
import { useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { useRenderer } from '../app/renderer-context';
import { saveBase64AsFile } from '../app/save-file';
import { compileHighlight, type HighlightPattern } from '../console/text-marks';
import { hrefFor } from '../router/routes';
import { ConsoleCapturePanel } from './ConsoleCapturePanel';
import { ConsoleCommandLine } from './ConsoleCommandLine';
import { ConsoleFilterBar } from './ConsoleFilterBar';
import { ConsoleFlags } from './ConsoleFlags';
import { ConsoleHighlights } from './ConsoleHighlights';
import { ConsoleLogList } from './ConsoleLogList';
import { ConsoleMarks } from './ConsoleMarks';
import { ConsoleSearchBar } from './ConsoleSearchBar';
import { ConsoleStatus } from './ConsoleStatus';
import { ErrorDetails } from './ErrorDetails';

export function ConsoleWorkspace({ title }: { title: string }) {
  const { stores } = useRenderer();
  const consoleStore = stores.console;
  const view = useStore(consoleStore, (s) => s.view);
  const openCases = useStore(consoleStore, (s) => s.openCases);
  const actions = consoleStore.getState();
  const [highlights, setHighlights] = useState<HighlightPattern[]>([]);
  const compiled = useMemo(
    () => highlights.flatMap((h) => {
      const result = compileHighlight(h);
      return 'regex' in result ? [{ regex: result.regex, color: h.color }] : [];
    }),
    [highlights],
  );

  if (!view) return null;
  const live = view.session !== null && view.session.state !== 'closed';
  const busy = view.busy !== null;
  const defaultCaseId = view.session?.caseId ?? null;

  return (
    <>
      <section className="panel console-panel" aria-label={title}>
        <div className="panel-heading">
          <ConsoleStatus session={view.session} captured={view.captured} bytes={view.bytes} pausedAt={view.pausedAt} />
          {/* A finished capture does not move: nothing to pause. */}
          {(live || view.pausedAt !== null) && (
            <div className="toolbar">
              <button type="button" onClick={actions.togglePause} aria-pressed={view.pausedAt !== null} data-testid="console-pause">
                {view.pausedAt !== null ? 'Resume view' : 'Pause view'}
              </button>
            </div>
          )}
        </div>
        {view.error && (
          <div className="inline-error" role="alert" data-testid="console-error">
            <ErrorDetails error={view.error} />
          </div>
        )}
        {view.outcome && (
          <p className="console-outcome" role="status" data-testid="console-outcome">
            {view.outcome.text}
            {view.outcome.attachment && (
              <>
                {' '}
                <a href={hrefFor({ name: 'case', caseId: view.outcome.attachment.caseId })}>Open the case</a>
              </>
            )}{' '}
            <button type="button" className="button-link" onClick={actions.dismissOutcome} aria-label="Dismiss">
              ✕
            </button>
          </p>
        )}
        <ConsoleFilterBar onApply={(filter) => void actions.setFilter(filter)} />
        <ConsoleHighlights patterns={highlights} onChange={setHighlights} />
        <ConsoleSearchBar />
        <ConsoleLogList label={title} highlights={compiled} />
        {live && view.session && (
          <ConsoleCommandLine
            commands={view.session.commands}
            history={view.session.history}
            refusal={view.session.state === 'open' ? view.session.sendRefusal : (view.session.stateDetail ?? 'The console is not connected to the device now.')}
            disabled={view.busy === 'sending'}
            onSend={actions.send}
          />
        )}
      </section>
      <ConsoleMarks
        marks={view.marks}
        cases={openCases}
        defaultCaseId={defaultCaseId}
        busy={busy}
        canMark={live}
        onMark={actions.mark}
        onJump={(seq) => void actions.jumpToSeq(seq)}
        onSelectFrom={actions.selectFromSeqToNow}
      />
      <ConsoleFlags flags={view.flags} onJump={(seq) => void actions.jumpToSeq(seq)} />
      <ConsoleCapturePanel
        selection={view.selection}
        cases={openCases}
        defaultCaseId={defaultCaseId}
        busy={busy}
        onClearSelection={actions.clearSelection}
        onAttach={(caseId, format, which) => void actions.attachToCase(caseId, format, which)}
        onExport={async (format, which) => {
          const file = await actions.exportCapture(format, which);
          if (file) saveBase64AsFile(file.contentBase64, file.fileName, file.mediaType);
        }}
      />
    </>
  );
}
