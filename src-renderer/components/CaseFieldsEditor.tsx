// The support fields of a case: customer or site, asset, serial (for a case with no
// device), symptom, severity, tags, status, and resolution and root cause once resolving.
// Edits live in the store's draft for this case until Save; a save the store refuses because
// someone else saved first opens the conflict panel instead of losing either side.
import { useId, useState, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import type { CaseDetail, CaseSeverity, CaseStatus } from '../../src-main/api/schemas';
import type { ApiErrorShape } from '../../src-main/api/errors';
import { useStores } from '../app/renderer-context';
import { caseStatusLabel } from '../stores/selectors';
import { draftIsDirty, fieldValuesOf, severityLabel, tagOf, type CaseFieldValues } from '../stores/case-fields-draft';
import { CaseFieldsConflictPanel } from './CaseFieldsConflict';
import { ErrorDetails } from './ErrorDetails';

const statuses: CaseStatus[] = ['open', 'waiting', 'resolved'];
const severities: CaseSeverity[] = ['low', 'medium', 'high', 'critical'];

export function CaseFieldsEditor({ detail }: { detail: CaseDetail }) {
  const { caseDetail: store } = useStores();
  const draft = useStore(store, (s) => s.fieldDrafts[detail.id]);
  const saving = useStore(store, (s) => s.savingFields);
  const conflict = useStore(store, (s) => (s.fieldsConflict?.caseId === detail.id ? s.fieldsConflict : null));
  const error = useStore(store, (s) => s.fieldsError);
  const { editFields, saveFields, discardFields } = store.getState();
  const id = useId();

  const values = draft?.values ?? fieldValuesOf(detail);
  const dirty = draftIsDirty(draft);
  const movedOn = dirty && draft !== undefined && draft.baseRevision !== detail.fields.revision;
  const showResolution = values.status === 'resolved' || values.resolution.trim() !== '' || values.rootCause.trim() !== '';
  const text = (name: 'customer' | 'assetId' | 'serialNumber' | 'symptom' | 'resolution' | 'rootCause') => ({
    id: `${id}-${name}`,
    value: values[name],
    onChange: (event: { target: { value: string } }) => editFields({ [name]: event.target.value } as Partial<CaseFieldValues>),
    'data-testid': `case-field-${name}`,
  });

  return (
    <section className="panel" aria-labelledby="case-fields-heading" data-testid="case-fields">
      <div className="panel-heading">
        <h2 id="case-fields-heading">Case details</h2>
        <p className="case-fields-state" role="status" data-testid="case-fields-state" data-dirty={dirty}>
          {saving ? 'Saving…' : dirty ? 'Unsaved changes' : 'Saved'}
        </p>
      </div>
      <form
        className="case-fields-form"
        onSubmit={(event) => {
          event.preventDefault();
          void saveFields();
        }}
      >
        <div className="case-fields-grid">
          <div className="field">
            <label htmlFor={`${id}-status`}>Status</label>
            <select
              id={`${id}-status`}
              value={values.status}
              onChange={(event) => editFields({ status: event.target.value as CaseStatus })}
              data-testid="case-field-status"
            >
              {statuses.map((status) => (
                <option key={status} value={status}>
                  {caseStatusLabel[status]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-severity`}>Severity</label>
            <select
              id={`${id}-severity`}
              value={values.severity}
              onChange={(event) => editFields({ severity: event.target.value as CaseSeverity | '' })}
              data-testid="case-field-severity"
            >
              <option value="">Not set</option>
              {severities.map((severity) => (
                <option key={severity} value={severity}>
                  {severityLabel[severity]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-customer`}>Customer or site</label>
            <input type="text" maxLength={4000} autoComplete="off" {...text('customer')} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-assetId`}>Asset id</label>
            <input type="text" maxLength={200} autoComplete="off" {...text('assetId')} />
          </div>
          {detail.device === null ? (
            <div className="field">
              <label htmlFor={`${id}-serialNumber`}>Serial number</label>
              <input type="text" maxLength={200} autoComplete="off" spellCheck={false} {...text('serialNumber')} />
            </div>
          ) : (
            <div className="field">
              <span className="field-label">Serial number</span>
              <p className="case-field-fixed">
                {detail.deviceSerial ?? 'not reported'} <span className="muted">(the device’s own)</span>
              </p>
            </div>
          )}
        </div>
        <div className="field">
          <label htmlFor={`${id}-symptom`}>Symptom</label>
          <textarea rows={2} maxLength={4000} {...text('symptom')} />
        </div>
        <TagEditor tags={values.tags} onChange={(tags) => editFields({ tags })} />
        {showResolution && (
          <div className="case-resolution" data-testid="case-resolution-fields">
            <div className="field">
              <label htmlFor={`${id}-resolution`}>Resolution</label>
              <textarea rows={2} maxLength={4000} placeholder="What fixed it, or what was done for the customer" {...text('resolution')} />
            </div>
            <div className="field">
              <label htmlFor={`${id}-rootCause`}>Root cause</label>
              <textarea rows={2} maxLength={4000} placeholder="Why it happened, if known" {...text('rootCause')} />
            </div>
          </div>
        )}
        {movedOn && !conflict && (
          <p className="case-fields-moved-on" role="status" data-testid="case-fields-moved-on">
            This case was changed elsewhere after you started editing. Saving will show you both versions before anything is overwritten.
          </p>
        )}
        {error && (
          <div className="inline-error" role="alert" data-testid="case-fields-error">
            <h3>The changes were not saved</h3>
            <ErrorDetails error={error} />
          </div>
        )}
        {conflict ? (
          <CaseFieldsConflictPanel conflict={conflict} />
        ) : (
          <div className="form-actions">
            <button type="submit" className="button-primary" disabled={!dirty || saving} data-testid="case-fields-save">
              {saving ? 'Saving…' : 'Save changes'}
            </button>
            <button type="button" disabled={!dirty || saving} onClick={discardFields} data-testid="case-fields-discard">
              Discard changes
            </button>
          </div>
        )}
      </form>
    </section>
  );
}

function TagEditor({ tags, onChange }: { tags: string[]; onChange(tags: string[]): void }) {
  const [typed, setTyped] = useState('');
  const [problem, setProblem] = useState<ApiErrorShape | null>(null);
  const inputId = useId();

  function add() {
    const outcome = tagOf(typed, tags);
    if (outcome && 'problem' in outcome) {
      setProblem(outcome.problem);
      return;
    }
    if (outcome) onChange([...tags, outcome.tag].sort());
    setTyped('');
    setProblem(null);
  }

  function onKey(event: KeyboardEvent<HTMLInputElement>) {
    // Enter adds the tag rather than saving the whole form with a half-typed tag in the box.
    if (event.key === 'Enter') {
      event.preventDefault();
      add();
    }
  }

  return (
    <div className="field tag-editor" data-testid="case-tags">
      <label htmlFor={inputId}>Tags</label>
      <ul className="tag-chips" aria-label="Tags of this case">
        {tags.length === 0 && <li className="muted">No tags yet.</li>}
        {tags.map((tag) => (
          <li key={tag} className="tag-chip" data-testid="tag-chip">
            <span>{tag}</span>
            <button type="button" className="tag-remove" aria-label={`Remove tag ${tag}`} onClick={() => onChange(tags.filter((t) => t !== tag))}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <div className="tag-add">
        <input
          id={inputId}
          type="text"
          value={typed}
          maxLength={200}
          onChange={(event) => setTyped(event.target.value)}
          onKeyDown={onKey}
          placeholder="e.g. battery, brownout"
          autoComplete="off"
          data-testid="tag-input"
        />
        <button type="button" onClick={add} disabled={typed.trim() === ''} data-testid="tag-add">
          Add tag
        </button>
      </div>
      {problem && (
        <div className="inline-error" role="alert">
          <ErrorDetails error={problem} />
        </div>
      )}
    </div>
  );
}
