// Files kept with a case: the list (name, type, size, when added), adding any file, saving
// one back to disk (app/save-file.ts: the app itself never navigates away), and reading a
// text capture in place.
import { useId, useRef, useState } from 'react';
import { useStore } from 'zustand';
import type { CaseAttachment, CaseDetail } from '../../src-main/api/schemas';
import { MAX_ATTACHMENT_BYTES } from '../../src-main/api/schemas';
import { useStores } from '../app/renderer-context';
import { formatBytes } from '../format/format-transfer';
import { saveBase64AsFile } from '../app/save-file';
import { PREVIEW_MAX_BYTES, base64ToBytes, isTextAttachment, textPreviewOf, type TextPreview } from '../stores/attachment-bytes';
import { ErrorDetails } from './ErrorDetails';
import { TimeText } from './TimeText';

export function CaseAttachments({ detail }: { detail: CaseDetail }) {
  const { caseDetail: store } = useStores();
  const attaching = useStore(store, (s) => s.attaching);
  const attachError = useStore(store, (s) => s.attachError);
  const { attachFile, readAttachment } = store.getState();
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [previews, setPreviews] = useState<Record<string, TextPreview | 'loading'>>({});
  async function onPick(files: FileList | null) {
    for (const file of Array.from(files ?? [])) {
      const stored = await attachFile({ name: file.name, type: file.type, size: file.size, bytes: async () => new Uint8Array(await file.arrayBuffer()) });
      if (!stored) break;
    }
    if (input.current) input.current.value = '';
  }

  async function save(attachment: CaseAttachment) {
    const content = await readAttachment(attachment.id);
    if (!content) return;
    saveBase64AsFile(content.contentBase64, content.fileName, content.mediaType || 'application/octet-stream');
  }

  async function togglePreview(attachment: CaseAttachment) {
    if (previews[attachment.id] !== undefined) {
      const { [attachment.id]: _closed, ...rest } = previews;
      setPreviews(rest);
      return;
    }
    setPreviews((p) => ({ ...p, [attachment.id]: 'loading' }));
    const content = await readAttachment(attachment.id);
    setPreviews((p) => {
      if (p[attachment.id] === undefined) return p; // closed while loading
      if (!content) {
        const { [attachment.id]: _failed, ...rest } = p;
        return rest;
      }
      return { ...p, [attachment.id]: textPreviewOf(base64ToBytes(content.contentBase64)) };
    });
  }

  return (
    <section className="panel" aria-labelledby="attachments-heading" data-testid="case-attachments">
      <div className="panel-heading">
        <h2 id="attachments-heading">Attachments</h2>
        <div className="attach-file">
          <input
            ref={input}
            id={inputId}
            type="file"
            multiple
            className="visually-hidden"
            disabled={attaching}
            onChange={(event) => void onPick(event.target.files)}
            data-testid="attach-input"
          />
          {/* After the input, so the input's keyboard focus can be drawn on the label that stands for it. */}
          <label htmlFor={inputId} className="button" aria-disabled={attaching}>
            {attaching ? 'Attaching…' : 'Attach files…'}
          </label>
        </div>
      </div>
      <p className="muted">
        Log captures, configuration dumps, photos: any file up to {formatBytes(MAX_ATTACHMENT_BYTES)}. Text files become searchable.
      </p>
      {attaching && (
        <p className="muted" role="status">
          Storing the file with the case…
        </p>
      )}
      {attachError && (
        <div className="inline-error" role="alert" data-testid="attach-error">
          <h3>The file was not attached</h3>
          <ErrorDetails error={attachError} />
        </div>
      )}
      {detail.attachments.length === 0 ? (
        <p className="muted" data-testid="attachments-empty">
          No files yet.
        </p>
      ) : (
        <ul className="attachment-list">
          {detail.attachments.map((attachment) => {
            const preview = previews[attachment.id];
            return (
              <li key={attachment.id} className="attachment" data-testid="attachment" data-attachment-id={attachment.id}>
                <div className="attachment-row">
                  <span className="attachment-name" data-testid="attachment-name">
                    {attachment.fileName}
                  </span>
                  <span className="muted">{attachment.mediaType}</span>
                  <span className="muted numeric">{formatBytes(attachment.size)}</span>
                  <span className="muted">
                    added <TimeText iso={attachment.createdAt} />
                  </span>
                  <span className="attachment-actions">
                    {isTextAttachment(attachment) && (
                      <button type="button" aria-expanded={preview !== undefined} onClick={() => void togglePreview(attachment)} data-testid="attachment-preview-toggle">
                        {preview === undefined ? 'Show text' : 'Hide text'}
                      </button>
                    )}
                    <button type="button" onClick={() => void save(attachment)} data-testid="attachment-save">
                      Save a copy
                    </button>
                  </span>
                </div>
                {preview === 'loading' && (
                  <p className="muted" role="status">
                    Reading {attachment.fileName}…
                  </p>
                )}
                {preview !== undefined && preview !== 'loading' && (
                  <>
                    <pre className="attachment-preview" tabIndex={0} aria-label={`Text of ${attachment.fileName}`} data-testid="attachment-preview">
                      {preview.text}
                    </pre>
                    {preview.truncated && (
                      <p className="muted">
                        Showing the first {formatBytes(PREVIEW_MAX_BYTES)} of {formatBytes(attachment.size)}; save a copy to read all of it.
                      </p>
                    )}
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
