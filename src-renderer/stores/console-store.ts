// The log console shown on the page: its session (or a finished capture from disk), the rows
// of the current view held in a bounded page cache and fetched by offset as the list scrolls,
// following the newest lines while pinned to the bottom (one tail fetch per animation frame at
// most), a paused view that holds still while capture goes on, the filter, the search and its
// jumps, marks, known-issue flags, the row selection and what goes to a case or a file.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  CaptureExport,
  CaptureFormat,
  CaptureRange,
  CaptureSummary,
  ConsoleFilter,
  ConsoleFlag,
  ConsoleLine,
  ConsoleSearchHit,
  ConsoleSession,
  LineEnding,
  SerialSettings,
} from '../../src-main/api/console-schemas';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { CaseAttachment, CaseSummary } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';
import { PageCache } from '../console/page-cache';
import { selectionRange, selectRow, fromSeqToNow, type RowSelection } from '../console/row-selection';

/** The most lines one console.read may ask for (the contract's bound). */
const MAX_READ = 2000;
/** Most search hits asked for at once; the count says when there are more. */
export const SEARCH_LIMIT = 1000;

export interface ConsoleSearch {
  query: string;
  regex: boolean;
  ignoreCase: boolean;
  hits: ConsoleSearchHit[];
  /** The whole capture was searched (the limit did not stop it). */
  complete: boolean;
  /** The hit the view is at; null before the first jump. */
  current: number | null;
  running: boolean;
}

export interface ConsoleOutcome {
  /** What was done, in words ("Attached lines 12–40 to the case"). */
  text: string;
  attachment?: CaseAttachment;
}

export interface ConsoleViewState {
  captureId: string;
  deviceId: string;
  /** The live session; null for a finished capture opened from disk. */
  session: ConsoleSession | null;
  summary: CaptureSummary | null;
  /** Lines and bytes captured so far. */
  captured: number;
  bytes: number;
  filter: ConsoleFilter;
  /** The cache's name for the current view (the filter, spelt out). */
  viewKey: string;
  /** Rows in the current view, as far as known. */
  total: number;
  /** Keep the newest row in view. */
  pinned: boolean;
  /** Lines captured while not pinned: what "Jump to latest" brings into view. */
  unseen: number;
  /** While paused: how many lines had been captured when Pause was pressed. */
  pausedAt: number | null;
  /** Bumped whenever rows arrive, so the list renders them. */
  rowsVersion: number;
  /** A row the list should scroll to (search hits, marks, flags); the nonce makes each request new. */
  scrollTo: { offset: number; nonce: number } | null;
  flags: ConsoleFlag[];
  /** Marks seen in this capture, by seq, oldest first. */
  marks: ConsoleLine[];
  search: ConsoleSearch | null;
  selection: RowSelection | null;
  error: ApiErrorShape | null;
  /** Why the last jump could not go where it was asked. */
  jumpNote: string | null;
  outcome: ConsoleOutcome | null;
  busy: null | 'configuring' | 'closing' | 'sending' | 'marking' | 'attaching' | 'exporting';
}

export interface ConsoleState {
  /** The consoles open now, as the core last said. */
  sessions: ConsoleSession[];
  /** Captures on disk, by device serial number ('' for all). */
  captures: Record<string, CaptureSummary[]>;
  /** Open cases, for marks and captures. */
  openCases: CaseSummary[];
  view: ConsoleViewState | null;
  /** A request to open or show a console failed before there was a view. */
  openError: ApiErrorShape | null;
  /** console.open is on its way. */
  opening: boolean;

  loadSessions(): Promise<ConsoleSession[]>;
  loadCaptures(serialNumber: string | null): Promise<void>;
  loadOpenCases(): Promise<void>;
  /** The console page of a device: joins its open console, if it has one. */
  showDevice(deviceId: string): Promise<void>;
  /** A capture by its id, live or finished. */
  showCapture(captureId: string): Promise<void>;
  leave(): void;
  /** After the connection came back: events sent while it was down are lost, so ask again. */
  resume(): Promise<void>;
  open(deviceId: string, settings: Partial<SerialSettings>, lineEnding: LineEnding, caseId?: string): Promise<void>;
  configure(settings: Partial<SerialSettings>, lineEnding: LineEnding): Promise<void>;
  close(): Promise<void>;
  send(text: string): Promise<boolean>;
  /** The list shows rows [start, end) with `rowsInView` of them visible: fetch what is missing. */
  setViewport(start: number, end: number, rowsInView: number): void;
  /** The person scrolled: to the bottom pins, anywhere above unpins. */
  setPinned(pinned: boolean): void;
  jumpToLatest(): void;
  togglePause(): void;
  setFilter(filter: ConsoleFilter): Promise<void>;
  runSearch(query: string, options: { regex: boolean; ignoreCase: boolean }): Promise<void>;
  clearSearch(): void;
  nextMatch(backwards?: boolean): Promise<void>;
  /** Scroll the view to a capture line (a mark, a flag, a hit). */
  jumpToSeq(seq: number): Promise<void>;
  mark(label: string, caseId: string | null): Promise<boolean>;
  selectRow(seq: number, extend: boolean): void;
  selectFromSeqToNow(seq: number): void;
  clearSelection(): void;
  attachToCase(caseId: string, format: CaptureFormat, which: 'whole' | 'selection'): Promise<CaseAttachment | null>;
  exportCapture(format: CaptureFormat, which: 'whole' | 'selection'): Promise<CaptureExport | null>;
  /** The line at a row of the current view, when it has been fetched. */
  rowAt(offset: number): ConsoleLine | undefined;
  dismissOutcome(): void;
}

export type ConsoleStore = StoreApi<ConsoleState> & { stop(): void };

export interface ConsoleStoreOptions {
  /** Runs a callback before the next paint; tests pass their own. */
  frame?: (callback: () => void) => void;
  cache?: PageCache;
}

function defaultFrame(callback: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => callback());
  else setTimeout(callback, 16);
}

/** A filter's name for the page cache: the same filter always spells the same. */
export function viewKeyOf(filter: ConsoleFilter): string {
  const levels = filter.levels ? [...filter.levels].sort().join(',') : '*';
  if (!filter.text && levels === '*' && !filter.flaggedOnly) return 'all';
  return JSON.stringify([levels, filter.text ?? '', filter.regex === true, filter.ignoreCase === true, filter.flaggedOnly === true]);
}

function isFiltered(filter: ConsoleFilter): boolean {
  return viewKeyOf(filter) !== 'all';
}

function freshView(captureId: string, deviceId: string, session: ConsoleSession | null, summary: CaptureSummary | null): ConsoleViewState {
  const captured = session?.lines ?? summary?.lines ?? 0;
  return {
    captureId,
    deviceId,
    session,
    summary,
    captured,
    bytes: session?.bytes ?? 0,
    filter: {},
    viewKey: 'all',
    total: captured,
    // A live console follows its newest line; a finished capture opens at its start.
    pinned: session !== null && session.state !== 'closed',
    unseen: 0,
    pausedAt: null,
    rowsVersion: 0,
    scrollTo: null,
    flags: [],
    marks: [],
    search: null,
    selection: null,
    error: null,
    jumpNote: null,
    outcome: null,
    busy: null,
  };
}

function addMarks(marks: readonly ConsoleLine[], lines: readonly ConsoleLine[]): ConsoleLine[] {
  const found = lines.filter((line) => line.kind === 'mark' && !marks.some((m) => m.seq === line.seq));
  if (found.length === 0) return marks as ConsoleLine[];
  return [...marks, ...found].sort((a, b) => a.seq - b.seq);
}

function addFlags(flags: readonly ConsoleFlag[], incoming: readonly ConsoleFlag[]): ConsoleFlag[] {
  const fresh = incoming.filter((f) => !flags.some((g) => g.seq === f.seq && g.issueId === f.issueId));
  return fresh.length === 0 ? (flags as ConsoleFlag[]) : [...flags, ...fresh].sort((a, b) => a.seq - b.seq);
}

export function createConsoleStore(api: FieldbenchApi, options: ConsoleStoreOptions = {}): ConsoleStore {
  const frame = options.frame ?? defaultFrame;
  const cache = options.cache ?? new PageCache();
  /** Pages being read now, as "view|page". */
  const inFlight = new Set<string>();
  /** Which view a response belongs to: bumped whenever the capture or the filter changes. */
  let generation = 0;
  let rowsInView = 40;
  let lastRange = { start: 0, end: 0 };
  let tailScheduled = false;
  let tailRunning = false;
  let tailAgain = false;
  let nextNonce = 1;
  /** Set once the store exists; the progress listener below asks for the tail through it. */
  let requestTail: () => void = () => undefined;

  const store = createStore<ConsoleState>()((set, get) => {
    const patchView = (change: Partial<ConsoleViewState> | ((view: ConsoleViewState) => Partial<ConsoleViewState>)) =>
      set((state) => {
        if (!state.view) return state;
        const next = typeof change === 'function' ? change(state.view) : change;
        return { view: { ...state.view, ...next } };
      });

    /** The view this generation started with, if it is still the one shown. */
    const viewOf = (gen: number): ConsoleViewState | null => (gen === generation ? get().view : null);

    const failed = (error: unknown, channel: string, gen = generation) => {
      if (gen === generation) patchView({ error: toApiRequestError(error, channel).toShape() });
    };

    /**
     * A request that marks the view busy while it is out and shows its failure with the view.
     * Null when it failed, or when the page moved to another capture meanwhile (its answer is not this view's).
     */
    async function busyRequest<T>(busy: NonNullable<ConsoleViewState['busy']>, channel: string, run: (view: ConsoleViewState) => Promise<T>, live = false): Promise<T | null> {
      const view = get().view;
      if (!view || (live && !view.session)) return null;
      const same = () => get().view?.captureId === view.captureId;
      patchView({ busy, error: null });
      try {
        const result = await run(view);
        return same() ? result : null;
      } catch (error) {
        if (same()) patchView({ error: toApiRequestError(error, channel).toShape() });
        return null;
      } finally {
        if (same()) patchView({ busy: null });
      }
    }

    async function readRows(offset: number, count: number, gen: number): Promise<void> {
      const view = viewOf(gen);
      if (!view) return;
      const filter = isFiltered(view.filter) ? view.filter : undefined;
      const answer = await api.invoke('console.read', { captureId: view.captureId, offset, count, ...(filter ? { filter } : {}) });
      const now = viewOf(gen);
      if (!now) return;
      cache.put(now.viewKey, offset, answer.lines);
      patchView((v) => ({
        rowsVersion: v.rowsVersion + 1,
        // A paused view keeps its length; the rows it already shows are filled in all the same.
        total: v.pausedAt === null ? Math.max(v.total, answer.total) : v.total,
        captured: Math.max(v.captured, answer.captured),
        marks: addMarks(v.marks, answer.lines),
        error: null,
      }));
    }

    /** Reads the pages [start, end) lacks, in reads of at most MAX_READ lines, none twice at once. */
    async function fetchRange(start: number, end: number): Promise<void> {
      const view = get().view;
      if (!view) return;
      const gen = generation;
      const refs = cache.missing(view.viewKey, start, end, view.total).filter((r) => !inFlight.has(`${view.viewKey}|${r.page}`));
      const reads: { offset: number; count: number; keys: string[] }[] = [];
      for (const ref of refs) {
        const key = `${view.viewKey}|${ref.page}`;
        const last = reads.at(-1);
        if (last && last.offset + last.count === ref.offset && last.count + ref.count <= MAX_READ) {
          last.count += ref.count;
          last.keys.push(key);
        } else reads.push({ offset: ref.offset, count: ref.count, keys: [key] });
      }
      await Promise.all(
        reads.map(async (read) => {
          for (const key of read.keys) inFlight.add(key);
          try {
            await readRows(read.offset, read.count, gen);
          } catch (error) {
            failed(error, 'console.read', gen);
          } finally {
            for (const key of read.keys) inFlight.delete(key);
          }
        }),
      );
    }

    /** The newest rows of the view: its length first (a filtered view's from the core), then only the tail pages. */
    async function followTail(): Promise<void> {
      if (tailRunning) {
        tailAgain = true;
        return;
      }
      tailRunning = true;
      try {
        do {
          tailAgain = false;
          const view = get().view;
          if (!view || view.pausedAt !== null) return;
          const gen = generation;
          let total = view.captured;
          if (isFiltered(view.filter)) {
            // Past the last line: the answer is no offset, and the view's length.
            const located = await api.invoke('console.locate', { captureId: view.captureId, seq: view.captured, filter: view.filter });
            total = located.total;
          }
          if (!viewOf(gen) || get().view?.pausedAt !== null) return;
          patchView((v) => ({ total: Math.max(isFiltered(v.filter) ? 0 : v.total, total) }));
          const now = get().view!;
          await fetchRange(Math.max(0, now.total - rowsInView), now.total);
        } while (tailAgain);
      } catch (error) {
        failed(error, 'console.read');
      } finally {
        tailRunning = false;
      }
    }

    requestTail = scheduleTail;

    function scheduleTail(): void {
      if (tailScheduled) return;
      tailScheduled = true;
      frame(() => {
        tailScheduled = false;
        const view = get().view;
        if (view && view.pinned && view.pausedAt === null) void followTail();
      });
    }

    function startView(view: ConsoleViewState): void {
      generation++;
      cache.clear();
      inFlight.clear();
      set({ view, openError: null });
      const gen = generation;
      void api
        .invoke('console.flags', { captureId: view.captureId })
        .then((flags) => {
          if (viewOf(gen)) patchView((v) => ({ flags: addFlags(v.flags, flags) }));
        })
        .catch((error: unknown) => failed(error, 'console.flags', gen));
      if (view.pinned) void followTail();
      else void fetchRange(0, rowsInView);
    }

    function sessionFor(deviceId: string): ConsoleSession | undefined {
      return get().sessions.find((s) => s.deviceId === deviceId && s.state !== 'closed');
    }

    function rangeFor(which: 'whole' | 'selection'): CaptureRange | undefined {
      const selection = get().view?.selection;
      return which === 'selection' && selection ? selectionRange(selection) : undefined;
    }

    return {
      sessions: [],
      captures: {},
      openCases: [],
      view: null,
      openError: null,
      opening: false,

      async loadSessions() {
        const sessions = await api.invoke('console.sessions', {});
        set({ sessions });
        return sessions;
      },

      async loadCaptures(serialNumber) {
        try {
          const captures = await api.invoke('console.captures', serialNumber ? { serialNumber, limit: 100 } : { limit: 100 });
          set((state) => ({ captures: { ...state.captures, [serialNumber ?? '']: captures } }));
        } catch (error) {
          set({ openError: toApiRequestError(error, 'console.captures').toShape() });
        }
      },

      async loadOpenCases() {
        try {
          set({ openCases: await api.invoke('cases.list', { status: 'open', limit: 200 }) });
        } catch {
          // Without the list, marks and captures still go to the session's case.
          set({ openCases: [] });
        }
      },

      async showDevice(deviceId) {
        try {
          await get().loadSessions();
        } catch (error) {
          set({ openError: toApiRequestError(error, 'console.sessions').toShape() });
          return;
        }
        const session = sessionFor(deviceId);
        if (session) {
          if (get().view?.captureId !== session.captureId) startView(freshView(session.captureId, deviceId, session, null));
        } else if (get().view?.deviceId !== deviceId || get().view?.session?.state !== 'closed') {
          generation++;
          set({ view: null, openError: null });
        }
      },

      async showCapture(captureId) {
        try {
          const [sessions, captures] = await Promise.all([api.invoke('console.sessions', {}), api.invoke('console.captures', { limit: 1000 })]);
          set({ sessions });
          const session = sessions.find((s) => s.captureId === captureId) ?? null;
          const summary = captures.find((c) => c.captureId === captureId) ?? null;
          if (!session && !summary) {
            set({
              view: null,
              openError: { code: 'not-found', message: `No capture named ${captureId} is on this computer.`, hint: 'Choose one from the device’s list of captures.' },
            });
            return;
          }
          startView(freshView(captureId, session?.deviceId ?? summary!.deviceId, session, summary));
        } catch (error) {
          set({ openError: toApiRequestError(error, 'console.captures').toShape() });
        }
      },

      leave() {
        generation++;
        cache.clear();
        set({ view: null, openError: null });
      },

      async resume() {
        const view = get().view;
        if (!view) return;
        try {
          const sessions = await get().loadSessions();
          const session = sessions.find((s) => s.captureId === view.captureId);
          if (session) patchView((v) => ({ session, captured: Math.max(v.captured, session.lines), bytes: Math.max(v.bytes, session.bytes) }));
        } catch (error) {
          failed(error, 'console.sessions');
        }
        if (get().view?.pinned) void followTail();
        else void fetchRange(lastRange.start, lastRange.end);
      },

      async open(deviceId, settings, lineEnding, caseId) {
        if (get().opening) return;
        set({ openError: null, opening: true });
        try {
          const session = await api.invoke('console.open', { deviceId, settings, lineEnding, ...(caseId ? { caseId } : {}) });
          set((state) => ({ sessions: [...state.sessions.filter((s) => s.captureId !== session.captureId), session] }));
          startView(freshView(session.captureId, deviceId, session, null));
        } catch (error) {
          set({ openError: toApiRequestError(error, 'console.open').toShape() });
        } finally {
          set({ opening: false });
        }
      },

      async configure(settings, lineEnding) {
        const session = await busyRequest('configuring', 'console.configure', (view) => api.invoke('console.configure', { captureId: view.captureId, settings, lineEnding }), true);
        if (session) patchView({ session });
      },

      async close() {
        const session = await busyRequest('closing', 'console.close', (view) => api.invoke('console.close', { captureId: view.captureId }), true);
        if (session) patchView((v) => ({ session, captured: Math.max(v.captured, session.lines) }));
      },

      async send(text) {
        const sent = await busyRequest('sending', 'console.send', (view) => api.invoke('console.send', { captureId: view.captureId, text }), true);
        if (!sent) return false;
        // The session event brings the core's history; until then the command is the newest entry.
        patchView((v) => (v.session && v.session.history.at(-1) !== text ? { session: { ...v.session, history: [...v.session.history, text].slice(-200) } } : {}));
        return true;
      },

      setViewport(start, end, inView) {
        rowsInView = Math.max(1, inView);
        lastRange = { start, end };
        void fetchRange(start, end);
      },

      setPinned(pinned) {
        const view = get().view;
        if (!view || view.pinned === pinned) return;
        patchView({ pinned, unseen: 0 });
        if (pinned) scheduleTail();
      },

      jumpToLatest() {
        patchView({ pinned: true, unseen: 0, pausedAt: null, jumpNote: null });
        void followTail();
      },

      togglePause() {
        const view = get().view;
        if (!view) return;
        if (view.pausedAt === null) {
          patchView({ pausedAt: view.captured });
          return;
        }
        patchView((v) => ({ pausedAt: null, total: isFiltered(v.filter) ? v.total : Math.max(v.total, v.captured) }));
        if (get().view?.pinned) void followTail();
        else void fetchRange(lastRange.start, lastRange.end);
      },

      async setFilter(filter) {
        const view = get().view;
        if (!view) return;
        const viewKey = viewKeyOf(filter);
        if (viewKey === view.viewKey && JSON.stringify(filter) === JSON.stringify(view.filter)) return;
        // The row at the top now, to find again in the new view.
        const topSeq = cache.line(view.viewKey, lastRange.start)?.seq ?? null;
        generation++;
        cache.clear(view.viewKey);
        inFlight.clear();
        const filtered = isFiltered(filter);
        patchView({ filter, viewKey, total: filtered ? 0 : view.captured, rowsVersion: view.rowsVersion + 1, jumpNote: null, error: null });
        if (view.pinned) {
          await followTail();
          return;
        }
        const gen = generation;
        try {
          const located = await api.invoke('console.locate', { captureId: view.captureId, seq: topSeq ?? 0, ...(filtered ? { filter } : {}) });
          if (!viewOf(gen)) return;
          const offset = located.offset ?? Math.max(0, located.total - rowsInView);
          patchView({ total: located.total, scrollTo: { offset, nonce: nextNonce++ } });
          await fetchRange(offset, offset + rowsInView);
        } catch (error) {
          failed(error, 'console.locate', gen);
        }
      },

      async runSearch(query, { regex, ignoreCase }) {
        const view = get().view;
        if (!view) return;
        const gen = generation;
        patchView({ search: { query, regex, ignoreCase, hits: [], complete: false, current: null, running: true }, error: null });
        try {
          const result = await api.invoke('console.search', { captureId: view.captureId, query, regex, ignoreCase, limit: SEARCH_LIMIT });
          if (!viewOf(gen) || get().view?.search?.query !== query) return;
          patchView({ search: { query, regex, ignoreCase, hits: result.hits, complete: result.complete, current: null, running: false } });
          if (result.hits.length > 0) await get().nextMatch();
        } catch (error) {
          patchView((v) => ({ search: v.search ? { ...v.search, running: false } : null }));
          failed(error, 'console.search', gen);
        }
      },

      clearSearch() {
        patchView({ search: null });
      },

      async nextMatch(backwards = false) {
        const search = get().view?.search;
        if (!search || search.hits.length === 0) return;
        const n = search.hits.length;
        const current = search.current === null ? (backwards ? n - 1 : 0) : (search.current + (backwards ? n - 1 : 1)) % n;
        patchView({ search: { ...search, current } });
        await get().jumpToSeq(search.hits[current]!.seq);
      },

      async jumpToSeq(seq) {
        const view = get().view;
        if (!view) return;
        const gen = generation;
        try {
          const filter = isFiltered(view.filter) ? view.filter : undefined;
          const located = await api.invoke('console.locate', { captureId: view.captureId, seq, ...(filter ? { filter } : {}) });
          if (!viewOf(gen)) return;
          if (located.offset === null) {
            patchView({ jumpNote: `Line ${seq} is past the end of this view.` });
            return;
          }
          // Shown in the view, or its nearest kept neighbour when the filter hides it.
          const shown = cache.line(view.viewKey, located.offset);
          const hidden = filter !== undefined && shown !== undefined && shown.seq !== seq;
          patchView((v) => ({
            pinned: false,
            unseen: 0,
            total: v.pausedAt === null ? Math.max(v.total, located.total) : v.total,
            scrollTo: { offset: located.offset!, nonce: nextNonce++ },
            jumpNote: hidden ? `Line ${seq} is hidden by the filter; showing the next line the filter keeps.` : null,
          }));
          await fetchRange(located.offset, located.offset + rowsInView);
        } catch (error) {
          failed(error, 'console.locate', gen);
        }
      },

      async mark(label, caseId) {
        const line = await busyRequest('marking', 'console.mark', (view) => api.invoke('console.mark', { captureId: view.captureId, label, ...(caseId ? { caseId } : {}) }));
        if (!line) return false;
        patchView((v) => ({ marks: addMarks(v.marks, [line]), outcome: { text: (caseId ?? v.session?.caseId) ? `Marked “${label}” on the case timeline` : `Marked “${label}”` } }));
        return true;
      },

      selectRow(seq, extend) {
        patchView((v) => ({ selection: selectRow(v.selection, seq, extend) }));
      },

      selectFromSeqToNow(seq) {
        patchView({ selection: fromSeqToNow(seq) });
      },

      clearSelection() {
        patchView({ selection: null });
      },

      async attachToCase(caseId, format, which) {
        const range = rangeFor(which);
        const attachment = await busyRequest('attaching', 'console.attach', (view) =>
          api.invoke('console.attach', { captureId: view.captureId, caseId, format, ...(range ? { range } : {}) }),
        );
        if (attachment) patchView({ outcome: { text: `Attached ${attachment.fileName} to the case`, attachment } });
        return attachment;
      },

      async exportCapture(format, which) {
        const range = rangeFor(which);
        const file = await busyRequest('exporting', 'console.export', (view) => api.invoke('console.export', { captureId: view.captureId, format, ...(range ? { range } : {}) }));
        if (file) patchView({ outcome: { text: `Exported ${file.lines.toLocaleString('en-US')} lines as ${file.fileName}` } });
        return file;
      },

      rowAt(offset) {
        const view = get().view;
        return view ? cache.line(view.viewKey, offset) : undefined;
      },

      dismissOutcome() {
        patchView({ outcome: null });
      },
    };
  });

  const patchCurrent = (captureId: string, change: (view: ConsoleViewState) => Partial<ConsoleViewState>) =>
    store.setState((state) => (state.view?.captureId === captureId ? { view: { ...state.view, ...change(state.view) } } : state));

  const offs = [
    api.on('console.session', (session) => {
      store.setState((state) => ({ sessions: [...state.sessions.filter((s) => s.captureId !== session.captureId), session] }));
      patchCurrent(session.captureId, (view) => ({ session, captured: Math.max(view.captured, session.lines), bytes: Math.max(view.bytes, session.bytes) }));
    }),
    api.on('console.progress', (progress) => {
      const view = store.getState().view;
      if (!view || view.captureId !== progress.captureId) return;
      const added = Math.max(0, progress.lines - view.captured);
      patchCurrent(progress.captureId, (v) => ({
        captured: Math.max(v.captured, progress.lines),
        bytes: Math.max(v.bytes, progress.bytes),
        flags: addFlags(v.flags, progress.flags),
        // Paused, the view holds still: only the counts move.
        ...(v.pausedAt === null && !isFiltered(v.filter) ? { total: Math.max(v.total, progress.lines) } : {}),
        ...(!v.pinned && v.pausedAt === null ? { unseen: v.unseen + added } : {}),
      }));
      const now = store.getState().view!;
      if (now.pausedAt !== null) return;
      if (now.pinned) requestTail();
      else if (lastRange.end >= now.total - added) store.getState().setViewport(lastRange.start, lastRange.end, rowsInView);
    }),
  ];

  return Object.assign(store, {
    stop() {
      for (const off of offs) off();
    },
  });
}
