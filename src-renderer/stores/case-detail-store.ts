// The case on screen: its summary, device, snapshot and notes, with every note saved as it
// is typed through a NoteAutosaver. The editor's text lives here and is never replaced by
// an answer from the core, so keystrokes typed while a save is out are never lost.
// Autosavers outlive the page: leaving a case while a save is failing keeps retrying it.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { CaseDetail, CaseStatus, Note } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';
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
}

export type CaseDetailStore = StoreApi<CaseDetailState> & {
  /** True while any note (of any case) has text not yet on disk. */
  hasUnsavedNotes(): boolean;
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
      set({ detail, noteIds: noteIds.filter((id) => id in notes), notes, error: null });
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

      async load(caseId) {
        if (get().caseId !== caseId) {
          // Editors of other cases that have nothing left to save can go.
          for (const [id, entry] of tracked) {
            if (entry.caseId !== caseId && !entry.saver.hasUnsavedText) {
              entry.saver.dispose();
              tracked.delete(id);
            }
          }
          set({ caseId, detail: null, error: null, noteIds: [], notes: {} });
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
    };
  });

  const off = api.on('cases.changed', ({ caseId }) => {
    if (store.getState().caseId === caseId) void store.getState().refresh();
  });

  return Object.assign(store, {
    hasUnsavedNotes: () => [...tracked.values()].some((e) => e.saver.hasUnsavedText),
    stop() {
      off();
      for (const entry of tracked.values()) entry.saver.dispose();
      tracked.clear();
    },
  });
}
