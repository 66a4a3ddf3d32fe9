// "Import bundle" on the Cases page: a bundle exported on another machine, picked as a file,
// stored as a case here; the imported case then opens. A refused bundle shows why and what
// to do, and nothing of it was stored.
import { useId, useRef } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { navigate } from '../router/use-route';
import { ErrorDetails } from './ErrorDetails';

export function ImportBundleForm() {
  const { bundles } = useStores();
  const importing = useStore(bundles, (s) => s.importing);
  const error = useStore(bundles, (s) => s.importError);
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);

  async function onPick(files: FileList | null) {
    const file = files?.[0];
    if (!file) return;
    const imported = await bundles.getState().importBundle({ name: file.name, size: file.size, bytes: async () => new Uint8Array(await file.arrayBuffer()) });
    if (input.current) input.current.value = '';
    if (imported) navigate({ name: 'case', caseId: imported.case.id });
  }

  return (
    <div className="toolbar import-bundle attach-file" data-testid="import-bundle">
      <input
        ref={input}
        id={inputId}
        type="file"
        accept=".zip,application/zip"
        className="visually-hidden"
        disabled={importing}
        onChange={(event) => void onPick(event.target.files)}
        data-testid="import-bundle-input"
      />
      {/* After the input, so the input's keyboard focus can be drawn on the label that stands for it. */}
      <label htmlFor={inputId} className="button" aria-disabled={importing}>
        {importing ? 'Importing…' : 'Import bundle…'}
      </label>
      <span className="muted" role="status">
        {importing ? 'Checking the bundle and storing its case…' : 'A case exported on another machine, as a .zip'}
      </span>
      {error && (
        <div className="inline-error" role="alert" data-testid="import-bundle-error">
          <h3>The bundle was not imported</h3>
          <ErrorDetails error={error} />
        </div>
      )}
    </div>
  );
}
