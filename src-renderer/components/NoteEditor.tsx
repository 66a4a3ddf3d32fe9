// One case note: a labelled textarea and the line that says whether it is on disk.
// Typing goes straight into the store; the store's autosaver does the rest.
import type { Ref } from 'react';
import type { NoteView } from '../stores/case-detail-store';
import { noteStatusText } from '../stores/selectors';

interface NoteEditorProps {
  note: NoteView;
  number: number;
  onEdit(text: string): void;
  onBlur(): void;
  ref?: Ref<HTMLTextAreaElement>;
}

export function NoteEditor({ note, number, onEdit, onBlur, ref }: NoteEditorProps) {
  const inputId = `note-${note.id}`;
  const statusId = `note-status-${note.id}`;
  return (
    <div className="note" data-testid="note">
      <label htmlFor={inputId} className="note-label">
        Note {number}
      </label>
      <textarea
        ref={ref}
        id={inputId}
        className="note-text"
        rows={5}
        value={note.text}
        aria-describedby={statusId}
        onChange={(event) => onEdit(event.target.value)}
        onBlur={onBlur}
        data-testid="note-text"
      />
      <p id={statusId} className={`note-status note-status-${note.status.kind}`} role="status" data-testid="note-status" data-status={note.status.kind}>
        {noteStatusText(note.status)}
      </p>
    </div>
  );
}
