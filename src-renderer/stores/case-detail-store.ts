// The case on screen: its summary, device, snapshot and notes, with every note saved as it
// is typed through a NoteAutosaver. The editor's text lives here and is never replaced by
// an answer from the core, so keystrokes typed while a save is out are never lost.
// Autosavers outlive the page: leaving a case while a save is failing keeps retrying it.
// The support fields are edited in a draft per case, kept here rather than in the view so that
// it survives re-renders and leaving the page; it is saved only on request, against the
// revision it started from (see case-fields-draft).
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import { MAX_ATTACHMENT_BYTES, type CaseAttachmentContent, type CaseDetail, type CaseStatus, type Note } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';
import { bytesToBase64 } from '../firmware/bytes-to-base64';
import { formatBytes } from '../format/format-transfer';
import {
  changedFields,
  conflictOf,
  draftIsDirty,
  newDraft,
  patchOf,
  rebasedDraft,
  type CaseFieldsConflict,
  type CaseFieldsDraft,
  type CaseFieldValues,
} from './case-fields-draft';
import { NoteAutosaver, type NoteAutosaverOptions, type NoteSaveStatus } from './note-autosave';
import type { NoticesStore } from './notices-store';

export interface NoteView {
  id: string;
  text: string;
  status: NoteSaveStatus;
}

export interface CaseDetailState {
  caseId: string | null;
  detail: CaseDetail | null;
  loading: boolean;
  /** Why the case could not be loaded (not found, store error). */
  error: ApiErrorShape | null;
  settingStatus: boolean;
  noteIds: string[];
  notes: Record<string, NoteView>;
  load(caseId: string): Promise<void>;
  /** Fetch the case again, keeping every note's local text. */
  refresh(): Promise<void>;
  setStatus(status: CaseStatus): Promise<void>;
  /** Start an empty note; it is stored once something is typed. Returns its id. */
  addNote(): string;
  editNote(noteId: string, text: string): void;
  flushNote(noteId: string): Promise<void>;
  /** Save every note with unsaved text now (leaving the page, reconnect). */
  flushAll(): Promise<void>;

  /** Unsaved field edits by case id; a case with none shows its stored values. */
  fieldDrafts: Record<string, CaseFieldsDraft>;
  savingFields: boolean;
  /** A save refused because the case changed meanwhile, until the person chooses what to keep. */
  fieldsConflict: CaseFieldsConflict | null;
  fieldsError: ApiErrorShape | null;
  editFields(change: Partial<CaseFieldValues>): void;
  discardFields(): void;
  /** Send the open case's changed fields with the revision they were edited from; true once stored. */
  saveFields(): Promise<boolean>;
  /** After a conflict: drop this person's edits and show the stored case. */
  reloadAfterConflict(): Promise<void>;
  /** After a conflict: write this person's changed fields over the stored ones, keeping the rest. */
  overwriteAfterConflict(): Promise<boolean>;

  attaching: boolean;
  attachError: ApiErrorShape | null;
  /** Store a file with the open case; false (with attachError) when it was refused. */
  attachFile(file: AttachmentFile): Promise<boolean>;
  /** An attachment with its bytes, or null (with a notice) when it could not be read. */
  readAttachment(attachmentId: string): Promise<CaseAttachmentContent | null>;
}

/** A file picked in the page, as far as attaching it needs. */
export interface AttachmentFile {
  name: string;
  type: string;
  size: number;
  bytes(): Promise<Uint8Array>;
}

export type CaseDetailStore = StoreApi<CaseDetailState> & {
  /** True while any note (of any case) has text not yet on disk. */
  hasUnsavedNotes(): boolean;
  /** True while the case has field edits not yet saved. */
  hasUnsavedFields(caseId: string): boolean;
  stop(): void;
};

export interface CaseDetailStoreOptions {
  newNoteId?: () => string;
  autosave?: Pick<NoteAutosaverOptions, 'debounceMs' | 'retryDelaysMs'>;
}

interface TrackedNote {
  caseId: string;
  saver: NoteAutosaver;
}

/**
 * The order and text of a case's notes: the core's notes in its order, each with the
 * editor's text where there is an editor for it, then notes started here and not stored yet.
 */
export function mergeNoteOrder(serverNotes: readonly Note[], localIds: readonly string[]): string[] {
  const ids = serverNotes.map((n) => n.id);
  const known = new Set(ids);
  for (const id of localIds) if (!known.has(id)) ids.push(id);
  return ids;
}

/** Saves moved onto a newer revision without asking; a case changing faster than this asks the person. */
const MAX_QUIET_MERGES = 3;

/** A draft with no edits in it has nothing to keep once the stored case has moved on. */
function withoutCleanDraft(drafts: Record<string, CaseFieldsDraft>, detail: CaseDetail): Record<string, CaseFieldsDraft> {
  const draft = drafts[detail.id];
  if (!draft || draftIsDirty(draft) || draft.baseRevision === detail.fields.revision) return drafts;
  const { [detail.id]: _clean, ...rest } = drafts;
  return rest;
}

export function createCaseDetailStore(api: FieldbenchApi, notices: NoticesStore, options: CaseDetailStoreOptions = {}): CaseDetailStore {
  const newNoteId = options.newNoteId ?? (() => crypto.randomUUID());
  const tracked = new Map<string, TrackedNote>();
  let refreshing: Promise<void> | null = null;
  let refreshAgain = false;

  const store = createStore<CaseDetailState>()((set, get) => {
    function track(caseId: string, noteId: string, text: string, revision: number | null): TrackedNote {
      const saver = new NoteAutosaver({
        ...options.autosave,
        initialText: text,
        initialRevision: revision,
        save: (latest) => api.invoke('cases.saveNote', { caseId, noteId, text: latest }),
        describeError: (error) => toApiRequestError(error, 'cases.saveNote').message,
        onStatus: (status) => {
          const view = get().notes[noteId];
          if (view) set({ notes: { ...get().notes, [noteId]: { ...view, status } } });
        },
      });
      const entry = { caseId, saver };
      tracked.set(noteId, entry);
      return entry;
    }

    /** Bring the core's view of a case into the store without touching unsaved text. */
    function adopt(detail: CaseDetail): void {
      const local: string[] = [];
      for (const [id, entry] of tracked) if (entry.caseId === detail.id) local.push(id);
      const noteIds = mergeNoteOrder(detail.notes, get().caseId === detail.id ? get().noteIds.concat(local) : local);
      const notes: Record<string, NoteView> = {};
      const serverById = new Map(detail.notes.map((n) => [n.id, n]));
      for (const id of noteIds) {
        const server = serverById.get(id);
        let entry = tracked.get(id);
        if (server && entry) {
          // Another window stored newer text and nothing is pending here: show theirs.
          const status = entry.saver.status;
          if (status.kind === 'saved' && server.revision > status.revision && !entry.saver.hasUnsavedText) {
            entry.saver.dispose();
            entry = undefined;
          }
        }
        if (!entry) {
          if (!server) continue;
          entry = track(detail.id, id, server.text, server.revision);
        }
        notes[id] = { id, text: entry.saver.text, status: entry.saver.status };
      }
      set({ detail, noteIds: noteIds.filter((id) => id in notes), notes, error: null, fieldDrafts: withoutCleanDraft(get().fieldDrafts, detail) });
    }

    function dropDraft(caseId: string): void {
      const { [caseId]: _dropped, ...rest } = get().fieldDrafts;
      set({ fieldDrafts: rest });
    }

    /**
     * Save a draft against the revision it was edited from. When the store refuses because
     * the case moved on, and the other change touched none of the fields edited here, the edits
     * are moved onto the stored case and sent again: nothing of either side is overwritten.
     * Only a field changed on both sides stops the save and asks the person.
     */
    async function sendDraft(draft: CaseFieldsDraft, merges = 0): Promise<boolean> {
      const detail = get().detail;
      if (!detail || detail.id !== draft.caseId) return false;
      const fields = patchOf(draft.base, draft.values, detail.device !== null);
      if (Object.keys(fields).length === 0) {
        dropDraft(draft.caseId);
        return true;
      }
      set({ savingFields: true, fieldsError: null });
      try {
        const saved = await api.invoke('cases.update', { caseId: draft.caseId, expectedRevision: draft.baseRevision, fields });
        // Edits typed while the save was out stay in a draft on top of what was just stored.
        const now = get().fieldDrafts[draft.caseId];
        const typedMeanwhile = now !== undefined && now !== draft && changedFields(draft.values, now.values);
        dropDraft(draft.caseId);
        if (get().caseId === saved.id) adopt(saved);
        if (now && typedMeanwhile && typedMeanwhile.length > 0) {
          const next = newDraft(saved);
          for (const name of typedMeanwhile) Object.assign(next.values, { [name]: now.values[name] });
          set({ fieldDrafts: { ...get().fieldDrafts, [saved.id]: next } });
        }
        set({ fieldsConflict: null });
        return true;
      } catch (error) {
        const shape = toApiRequestError(error, 'cases.update').toShape();
        if (shape.code !== 'conflict') {
          set({ fieldsError: shape });
          return false;
        }
        try {
          const current = await api.invoke('cases.get', { caseId: draft.caseId });
          if (get().caseId === current.id) adopt(current);
          const latest = get().fieldDrafts[draft.caseId] ?? draft;
          const conflict = conflictOf(latest, current);
          if (conflict.contested.length === 0 && merges < MAX_QUIET_MERGES) {
            const next = rebasedDraft(conflict, changedFields(latest.base, latest.values));
            set({ fieldDrafts: { ...get().fieldDrafts, [draft.caseId]: next } });
            return await sendDraft(next, merges + 1);
          }
          set({ fieldsConflict: conflict });
        } catch (readError) {
          // The conflict stands even if the stored version could not be shown: say both.
          set({ fieldsError: shape });
          notices.getState().report('Read the case after a conflicting save', readError);
        }
        return false;
      } finally {
        set({ savingFields: false });
      }
    }

    async function fetchCase(caseId: string): Promise<void> {
      try {
        const detail = await api.invoke('cases.get', { caseId });
        if (get().caseId === caseId) adopt(detail);
      } catch (error) {
        if (get().caseId === caseId) set({ error: toApiRequestError(error, 'cases.get').toShape() });
      }
    }

    return {
      caseId: null,
      detail: null,
      loading: false,
      error: null,
      settingStatus: false,
      noteIds: [],
      notes: {},
      fieldDrafts: {},
      savingFields: false,
      fieldsConflict: null,
      fieldsError: null,
      attaching: false,
      attachError: null,

      async load(caseId) {
        if (get().caseId !== caseId) {
          // Editors of other cases that have nothing left to save can go.
          for (const [id, entry] of tracked) {
            if (entry.caseId !== caseId && !entry.saver.hasUnsavedText) {
              entry.saver.dispose();
              tracked.delete(id);
            }
          }
          set({ caseId, detail: null, error: null, noteIds: [], notes: {}, fieldsConflict: null, fieldsError: null, attachError: null });
        }
        set({ loading: true });
        await fetchCase(caseId);
        if (get().caseId === caseId) set({ loading: false });
      },

      refresh() {
        const caseId = get().caseId;
        if (caseId === null) return Promise.resolve();
        if (refreshing) {
          refreshAgain = true;
          return refreshing;
        }
        refreshing = (async () => {
          do {
            refreshAgain = false;
            const current = get().caseId;
            if (current !== null) await fetchCase(current);
          } while (refreshAgain);
          refreshing = null;
        })();
        return refreshing;
      },

      async setStatus(status) {
        const caseId = get().caseId;
        if (caseId === null || get().settingStatus) return;
        // The one-click status change is sent without a revision: "resolve this case" means the
        // same whatever else changed meanwhile. Field edits in progress would then be saved
        // against a revision this moves on, so the editor's own Status is the way while they last.
        if (draftIsDirty(get().fieldDrafts[caseId])) return;
        set({ settingStatus: true });
        try {
          const summary = await api.invoke('cases.setStatus', { caseId, status });
          const detail = get().detail;
          if (detail && detail.id === summary.id) set({ detail: { ...detail, ...summary } });
        } catch (error) {
          notices.getState().report(status === 'resolved' ? 'Mark case resolved' : 'Reopen case', error);
        } finally {
          set({ settingStatus: false });
        }
      },

      addNote() {
        const caseId = get().caseId;
        if (caseId === null) throw new Error('no case is open');
        const id = newNoteId();
        const entry = track(caseId, id, '', null);
        set((state) => ({
          noteIds: [...state.noteIds, id],
          notes: { ...state.notes, [id]: { id, text: '', status: entry.saver.status } },
        }));
        return id;
      },

      editNote(noteId, text) {
        const entry = tracked.get(noteId);
        const view = get().notes[noteId];
        if (!entry || !view) return;
        // The text goes into the store first and synchronously: the textarea is controlled
        // by it, and the autosaver only ever reads from it.
        set({ notes: { ...get().notes, [noteId]: { ...view, text } } });
        entry.saver.edit(text);
      },

      async flushNote(noteId) {
        await tracked.get(noteId)?.saver.flush();
      },

      async flushAll() {
        await Promise.all([...tracked.values()].filter((e) => e.saver.hasUnsavedText).map((e) => e.saver.flush()));
      },

      editFields(change) {
        const detail = get().detail;
        if (!detail || detail.id !== get().caseId) return;
        const draft = get().fieldDrafts[detail.id] ?? newDraft(detail);
        const values = { ...draft.values, ...change };
        set({ fieldDrafts: { ...get().fieldDrafts, [detail.id]: { ...draft, values } }, fieldsError: null });
      },

      discardFields() {
        const caseId = get().caseId;
        if (caseId === null) return;
        dropDraft(caseId);
        set({ fieldsConflict: null, fieldsError: null });
      },

      async saveFields() {
        const caseId = get().caseId;
        const draft = caseId === null ? undefined : get().fieldDrafts[caseId];
        if (!draft || get().savingFields || get().fieldsConflict) return false;
        return sendDraft(draft);
      },

      async reloadAfterConflict() {
        const conflict = get().fieldsConflict;
        if (!conflict) return;
        dropDraft(conflict.caseId);
        set({ fieldsConflict: null, fieldsError: null });
        await get().refresh();
      },

      async overwriteAfterConflict() {
        const conflict = get().fieldsConflict;
        const draft = conflict ? get().fieldDrafts[conflict.caseId] : undefined;
        if (!conflict || !draft || get().savingFields) return false;
        // The draft as it is now: the person may have gone on typing while reading the conflict.
        const next = rebasedDraft({ ...conflict, mine: draft.values }, changedFields(draft.base, draft.values));
        set({ fieldDrafts: { ...get().fieldDrafts, [conflict.caseId]: next }, fieldsConflict: null });
        // Sent with the revision just shown: if it moved on yet again, that is a new conflict.
        return sendDraft(next);
      },

      async attachFile(file) {
        const caseId = get().caseId;
        if (caseId === null || get().attaching) return false;
        if (file.size > MAX_ATTACHMENT_BYTES) {
          // Checked before reading: a file this large would be read into memory for nothing.
          set({
            attachError: {
              code: 'invalid-request',
              message: `${file.name} is ${formatBytes(file.size)}; an attachment can be at most ${formatBytes(MAX_ATTACHMENT_BYTES)}`,
              step: 'attach file',
              hint: 'Attach a shorter capture, or compress the file (a zip of a log is usually a tenth of its size).',
            },
          });
          return false;
        }
        set({ attaching: true, attachError: null });
        try {
          const contentBase64 = await bytesToBase64(await file.bytes());
          const request = file.type
            ? { caseId, fileName: file.name, mediaType: file.type, contentBase64 }
            : { caseId, fileName: file.name, contentBase64 };
          await api.invoke('cases.attach', request);
          if (get().caseId === caseId) await get().refresh();
          return true;
        } catch (error) {
          if (get().caseId === caseId) set({ attachError: toApiRequestError(error, 'cases.attach').toShape() });
          return false;
        } finally {
          set({ attaching: false });
        }
      },

      async readAttachment(attachmentId) {
        const caseId = get().caseId;
        if (caseId === null) return null;
        try {
          return await api.invoke('cases.attachment', { caseId, attachmentId });
        } catch (error) {
          notices.getState().report('Read attachment', error);
          return null;
        }
      },
    };
  });

  const off = api.on('cases.changed', ({ caseId }) => {
    if (store.getState().caseId === caseId) void store.getState().refresh();
  });

  return Object.assign(store, {
    hasUnsavedNotes: () => [...tracked.values()].some((e) => e.saver.hasUnsavedText),
    hasUnsavedFields: (caseId: string) => draftIsDirty(store.getState().fieldDrafts[caseId]),
    stop() {
      off();
      for (const entry of tracked.values()) entry.saver.dispose();
      tracked.clear();
    },
  });
}
