// One case: title, status, its support fields, notes, attachments, the device it is about,
// its timeline and its diagnostics snapshot.
import { useEffect, useRef } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { CaseAttachments } from '../components/CaseAttachments';
import { CaseFieldsEditor } from '../components/CaseFieldsEditor';
import { CaseStatusBadge } from '../components/CaseStatusBadge';
import { CaseTimeline } from '../components/CaseTimeline';
import { DiagnosticsTable } from '../components/DiagnosticsTable';
import { ErrorDetails } from '../components/ErrorDetails';
import { ExportBundleButton } from '../components/ExportBundleButton';
import { IdentityList } from '../components/IdentityList';
import { CaseKnowledge } from '../components/KnowledgeSuggestions';
import { NoteEditor } from '../components/NoteEditor';
import { PageHeading } from '../components/PageHeading';
import { TimeText } from '../components/TimeText';
import { hrefFor } from '../router/routes';
import { useLeaveGuard } from '../router/use-leave-guard';
import { draftIsDirty } from '../stores/case-fields-draft';

export function CaseView({ caseId }: { caseId: string }) {
  const { caseDetail: store } = useStores();
  const shownId = useStore(store, (s) => s.caseId);
  const detail = useStore(store, (s) => (s.detail?.id === caseId ? s.detail : null));
  const error = useStore(store, (s) => s.error);
  const settingStatus = useStore(store, (s) => s.settingStatus);
  const noteIds = useStore(store, (s) => s.noteIds);
  const notes = useStore(store, (s) => s.notes);
  const fieldsDirty = useStore(store, (s) => draftIsDirty(s.fieldDrafts[caseId]));
  const { load, setStatus, addNote, editNote, flushNote } = store.getState();
  const focusNoteId = useRef<string | null>(null);
  const noteRefs = useRef(new Map<string, HTMLTextAreaElement>());

  useEffect(() => {
    void load(caseId);
  }, [caseId, load]);

  useLeaveGuard(fieldsDirty, 'This case has changes to its details that are not saved. Leave the page anyway? They stay here until you come back, but are not saved.');

  // A note just added gets the cursor, so "Add note" then typing just works.
  useEffect(() => {
    const id = focusNoteId.current;
    if (id === null) return;
    const element = noteRefs.current.get(id);
    if (element) {
      element.focus();
      focusNoteId.current = null;
    }
  }, [noteIds]);

  if (shownId === caseId && error && !detail) {
    return (
      <>
        <PageHeading>Case</PageHeading>
        <div className="inline-error" role="alert">
          <h2>This case could not be opened</h2>
          <ErrorDetails error={error} />
        </div>
        <p>
          <a href={hrefFor({ name: 'cases' })}>Back to the case list</a>
        </p>
      </>
    );
  }

  if (!detail) {
    return (
      <>
        <PageHeading>Case</PageHeading>
        <p className="muted" role="status">
          Loading case…
        </p>
      </>
    );
  }

  const resolved = detail.status === 'resolved';

  return (
    <>
      <p className="breadcrumb">
        <a href={hrefFor({ name: 'cases' })}>Cases</a>
      </p>
      <PageHeading aside={<CaseStatusBadge status={detail.status} />}>
        <span data-testid="case-title-heading">{detail.title}</span>
      </PageHeading>
      <p className="muted">
        Opened <TimeText iso={detail.createdAt} /> · updated <TimeText iso={detail.updatedAt} />
      </p>
      <div className="toolbar">
        <button
          type="button"
          className={resolved ? undefined : 'button-primary'}
          onClick={() => void setStatus(resolved ? 'open' : 'resolved')}
          disabled={settingStatus || fieldsDirty}
          title={fieldsDirty ? 'Save or discard the changes to the case details first' : undefined}
          data-testid="toggle-case-status"
        >
          {resolved ? 'Reopen case' : 'Mark as resolved'}
        </button>
        <ExportBundleButton caseId={detail.id} />
      </div>

      <CaseFieldsEditor detail={detail} />

      <section className="panel" aria-labelledby="notes-heading">
        <div className="panel-heading">
          <h2 id="notes-heading">Notes</h2>
          <button
            type="button"
            onClick={() => {
              focusNoteId.current = addNote();
            }}
            data-testid="add-note"
          >
            Add note
          </button>
        </div>
        <p className="muted">Notes are saved as you type; “Saved” means they are on disk.</p>
        {noteIds.length === 0 && <p className="muted">No notes yet. Choose Add note to write what you found and what you did.</p>}
        {noteIds.map((id, index) => {
          const note = notes[id];
          if (!note) return null;
          return (
            <NoteEditor
              key={id}
              note={note}
              number={index + 1}
              onEdit={(text) => editNote(id, text)}
              onBlur={() => void flushNote(id)}
              ref={(element) => {
                if (element) noteRefs.current.set(id, element);
                else noteRefs.current.delete(id);
              }}
            />
          );
        })}
      </section>

      <CaseAttachments detail={detail} />

      <CaseKnowledge detail={detail} />

      <section className="panel" aria-labelledby="case-device-heading">
        <h2 id="case-device-heading">Device</h2>
        {detail.device ? (
          <IdentityList identity={detail.device.identity} transport={detail.device.transport} path={detail.device.path} />
        ) : (
          <p className="muted">This case is not tied to a device.</p>
        )}
      </section>

      <section className="panel" aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        <CaseTimeline detail={detail} />
      </section>

      <section className="panel" aria-labelledby="snapshot-heading">
        <h2 id="snapshot-heading">Diagnostics snapshot</h2>
        {detail.snapshot ? (
          <DiagnosticsTable report={detail.snapshot} caption="Readings when the case was opened" />
        ) : (
          <p className="muted">No diagnostics were attached to this case.</p>
        )}
      </section>
    </>
  );
}
