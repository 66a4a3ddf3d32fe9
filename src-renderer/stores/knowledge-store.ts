// The knowledge base as the screens see it: the article list with its search words and tag,
// the articles opened, the suggestions for each device or case page, and drafts written from
// cases. Errors stay with the box or page that asked, as information next to it.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { KbArticle, KbArticleSummary, KbProblem, KbSuggestion } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';

/** What a suggestion box is for: a device page or a case page. */
export type SuggestionTarget = { deviceId: string } | { caseId: string };

export interface SuggestionsView {
  suggestions: KbSuggestion[];
  loading: boolean;
  error: ApiErrorShape | null;
  /** Whether an answer has come at least once, so "nothing known" can be told from "not asked yet". */
  loaded: boolean;
}

export interface ArticleView {
  article: KbArticle | null;
  loading: boolean;
  error: ApiErrorShape | null;
}

export interface DraftView {
  writing: boolean;
  error: ApiErrorShape | null;
  /** The last draft written for the case: its file and article id. */
  written: { path: string; articleId: string } | null;
}

export interface KnowledgeState {
  query: string;
  tag: string | null;
  articles: KbArticleSummary[];
  tags: string[];
  problems: KbProblem[];
  listing: boolean;
  listError: ApiErrorShape | null;
  byArticle: Record<string, ArticleView>;
  /** By suggestionKey(target). */
  byTarget: Record<string, SuggestionsView>;
  /** By case id. */
  drafts: Record<string, DraftView>;
  setQuery(query: string): void;
  setTag(tag: string | null): void;
  /** Fetch the list for the current words and tag. */
  loadList(): Promise<void>;
  /** Read the article folders again, then the list. */
  reload(): Promise<void>;
  open(articleId: string): Promise<void>;
  suggest(target: SuggestionTarget): Promise<void>;
  draftFromCase(caseId: string): Promise<void>;
}

export type KnowledgeStore = StoreApi<KnowledgeState>;

export const NO_SUGGESTIONS: SuggestionsView = Object.freeze({ suggestions: [], loading: false, error: null, loaded: false });
export const NO_ARTICLE: ArticleView = Object.freeze({ article: null, loading: false, error: null });
export const NO_DRAFT: DraftView = Object.freeze({ writing: false, error: null, written: null });

export function suggestionKey(target: SuggestionTarget): string {
  return 'deviceId' in target ? `device:${target.deviceId}` : `case:${target.caseId}`;
}

export function createKnowledgeStore(api: FieldbenchApi): KnowledgeStore {
  return createStore<KnowledgeState>()((set, get) => {
    // Only the newest answer for a list or a box is shown; a slower earlier one is dropped.
    let listRequest = 0;
    const suggestRequests = new Map<string, number>();
    const patchTarget = (key: string, change: Partial<SuggestionsView>) =>
      set((state) => ({ byTarget: { ...state.byTarget, [key]: { ...(state.byTarget[key] ?? NO_SUGGESTIONS), ...change } } }));
    const patchArticle = (id: string, change: Partial<ArticleView>) =>
      set((state) => ({ byArticle: { ...state.byArticle, [id]: { ...(state.byArticle[id] ?? NO_ARTICLE), ...change } } }));
    const patchDraft = (caseId: string, change: Partial<DraftView>) =>
      set((state) => ({ drafts: { ...state.drafts, [caseId]: { ...(state.drafts[caseId] ?? NO_DRAFT), ...change } } }));

    return {
      query: '',
      tag: null,
      articles: [],
      tags: [],
      problems: [],
      listing: false,
      listError: null,
      byArticle: {},
      byTarget: {},
      drafts: {},

      setQuery(query) {
        set({ query });
        void get().loadList();
      },

      setTag(tag) {
        set({ tag });
        void get().loadList();
      },

      async loadList() {
        const request = ++listRequest;
        const { query, tag } = get();
        set({ listing: true, listError: null });
        try {
          const result = await api.invoke('kb.list', { ...(query.trim() ? { query: query.trim() } : {}), ...(tag ? { tag } : {}) });
          if (request !== listRequest) return;
          set({ articles: result.articles, tags: result.tags, problems: result.problems, listing: false });
        } catch (error) {
          if (request !== listRequest) return;
          set({ listing: false, listError: toApiRequestError(error, 'kb.list').toShape() });
        }
      },

      async reload() {
        set({ listing: true, listError: null });
        try {
          await api.invoke('kb.reload', {});
        } catch (error) {
          set({ listing: false, listError: toApiRequestError(error, 'kb.reload').toShape() });
          return;
        }
        set({ byArticle: {} });
        await get().loadList();
      },

      async open(articleId) {
        patchArticle(articleId, { loading: true, error: null });
        try {
          patchArticle(articleId, { article: await api.invoke('kb.get', { id: articleId }), loading: false });
        } catch (error) {
          patchArticle(articleId, { loading: false, error: toApiRequestError(error, 'kb.get').toShape() });
        }
      },

      async suggest(target) {
        const key = suggestionKey(target);
        const request = (suggestRequests.get(key) ?? 0) + 1;
        suggestRequests.set(key, request);
        patchTarget(key, { loading: true, error: null });
        try {
          const result = await api.invoke('kb.suggest', target);
          if (suggestRequests.get(key) !== request) return;
          patchTarget(key, { suggestions: result.suggestions, loading: false, loaded: true });
        } catch (error) {
          if (suggestRequests.get(key) !== request) return;
          patchTarget(key, { loading: false, loaded: true, error: toApiRequestError(error, 'kb.suggest').toShape() });
        }
      },

      async draftFromCase(caseId) {
        if (get().drafts[caseId]?.writing) return;
        patchDraft(caseId, { writing: true, error: null });
        try {
          const { path, article } = await api.invoke('kb.draftFromCase', { caseId });
          patchDraft(caseId, { writing: false, written: { path, articleId: article.id } });
          patchArticle(article.id, { article, loading: false, error: null });
          void get().loadList();
        } catch (error) {
          patchDraft(caseId, { writing: false, error: toApiRequestError(error, 'kb.draftFromCase').toShape() });
        }
      },
    };
  });
}

/** Where an article comes from, in words for its page. */
export function sourceLabel(article: Pick<KbArticleSummary, 'source' | 'overrides'>): string {
  switch (article.source) {
    case 'shipped':
      return 'Shipped with Fieldbench';
    case 'local':
      return article.overrides ? 'Local article, replaces the shipped one' : 'Local article';
    case 'draft':
      return 'Draft (not suggested until published)';
  }
}
