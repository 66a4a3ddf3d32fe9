// "Export for escalation" on a case's page: the case as one zip (reports, case.json,
// attachments) saved to disk, to send to the development team. A failure is shown beside
// the button with what to do next.
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { saveBase64AsFile } from '../app/save-file';
import { ErrorDetails } from './ErrorDetails';

export function ExportBundleButton({ caseId }: { caseId: string }) {
  const { bundles } = useStores();
  const exporting = useStore(bundles, (s) => s.exporting === caseId);
  const error = useStore(bundles, (s) => (s.exportError?.caseId === caseId ? s.exportError.error : null));

  async function exportCase() {
    const bundle = await bundles.getState().exportCase(caseId);
    if (bundle) saveBase64AsFile(bundle.contentBase64, bundle.fileName, 'application/zip');
  }

  return (
    <>
      <button
        type="button"
        onClick={() => void exportCase()}
        disabled={exporting}
        title="Save this case as one .zip for the development team: a report to read and print, the data as JSON, and every attachment"
        data-testid="export-bundle"
      >
        {exporting ? 'Exporting…' : 'Export for escalation'}
      </button>
      {error && (
        <div className="inline-error" role="alert" data-testid="export-bundle-error">
          <h3>The case was not exported</h3>
          <ErrorDetails error={error} />
        </div>
      )}
    </>
  );
}
