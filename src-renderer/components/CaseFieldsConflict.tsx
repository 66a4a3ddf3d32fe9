// A save refused because someone else saved the case first: each field both sides changed,
// with this person's value beside the stored one, what else the other side changed (a save
// keeps it), and a choice made knowingly: reload theirs, or write these changes over them.
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { caseFieldLabel, describeFieldValue, type CaseFieldsConflict } from '../stores/case-fields-draft';

export function CaseFieldsConflictPanel({ conflict }: { conflict: CaseFieldsConflict }) {
  const { caseDetail: store } = useStores();
  const saving = useStore(store, (s) => s.savingFields);
  const { reloadAfterConflict, overwriteAfterConflict } = store.getState();

  return (
    <div className="case-conflict" role="alert" data-testid="case-fields-conflict">
      <h3>Someone else changed this case while you were editing</h3>
      <p>Nothing of yours was saved yet. Compare the two versions, then choose which to keep.</p>
      {conflict.contested.length > 0 ? (
        <table className="data-table case-conflict-table">
          <caption className="visually-hidden">Fields that differ</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Your version</th>
              <th scope="col">Saved meanwhile</th>
            </tr>
          </thead>
          <tbody>
            {conflict.contested.map((name) => (
              <tr key={name} data-testid="conflict-field" data-field={name}>
                <th scope="row">{caseFieldLabel[name]}</th>
                <td data-testid="conflict-mine">{describeFieldValue(name, conflict.mine)}</td>
                <td data-testid="conflict-theirs">{describeFieldValue(name, conflict.theirs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>The other change touched none of the fields you changed.</p>
      )}
      {conflict.kept.length > 0 && (
        <p className="muted">
          Also changed meanwhile, and kept either way: {conflict.kept.map((name) => caseFieldLabel[name].toLowerCase()).join(', ')}.
        </p>
      )}
      <div className="form-actions">
        <button type="button" onClick={() => void reloadAfterConflict()} disabled={saving} data-testid="conflict-reload">
          Reload theirs (drop my changes)
        </button>
        <button type="button" className="button-danger" onClick={() => void overwriteAfterConflict()} disabled={saving} data-testid="conflict-overwrite">
          Save mine over theirs
        </button>
      </div>
    </div>
  );
}
