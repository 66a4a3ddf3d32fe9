// The knowledge base: the articles shipped with Fieldbench and those kept on this machine.
// The shipped folder comes with the app; <dataDir>/knowledge-base/ holds a team's own
// articles (one with a shipped article's id replaces it, and says so) and drafts/ under it
// holds drafts written from cases, listed but never suggested until they are moved up.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FieldbenchError } from '../../api/errors';
import type { KbArticle, KbArticleSummary, KbProblem, KbSource } from '../../api/schemas';
import { findShippedFolder } from '../shipped-folder';
import { parseArticle, type LoadedArticle } from './article-file';

export const KNOWLEDGE_DIR_NAME = 'knowledge-base';
export const DRAFTS_DIR_NAME = 'drafts';
/** Set to a folder to load the shipped articles from there instead of the one found by defaultKnowledgeDir(). */
export const KNOWLEDGE_DIR_ENV = 'FIELDBENCH_KNOWLEDGE_DIR';
/** Files in an article folder that describe the folder rather than being articles. */
const NOT_ARTICLES = new Set(['readme.md']);

export interface KnowledgeDirs {
  /** The articles that come with the app. */
  shipped: string;
  /** This machine's own articles; drafts/ under it. */
  local: string;
}

interface Loaded {
  articles: LoadedArticle[];
  byId: Map<string, LoadedArticle>;
  problems: KbProblem[];
}

export class KnowledgeBase {
  private state: Loaded = { articles: [], byId: new Map(), problems: [] };

  constructor(readonly dirs: KnowledgeDirs) {}

  static async load(dirs: KnowledgeDirs): Promise<KnowledgeBase> {
    const base = new KnowledgeBase(dirs);
    await base.reload();
    return base;
  }

  get draftsDir(): string {
    return join(this.dirs.local, DRAFTS_DIR_NAME);
  }

  get problems(): KbProblem[] {
    return this.state.problems;
  }

  /** Reads every folder again; what was loaded stays in use until the new set is complete. */
  async reload(): Promise<{ articles: number; problems: KbProblem[] }> {
    const problems: KbProblem[] = [];
    const shipped = await readFolder(this.dirs.shipped, 'shipped', true, problems);
    const local = await readFolder(this.dirs.local, 'local', false, problems);
    const drafts = await readFolder(this.draftsDir, 'draft', false, problems);

    const byId = new Map<string, LoadedArticle>();
    const shippedIds = new Set<string>();
    const add = (article: LoadedArticle) => {
      const { id, file, source } = article.summary;
      const earlier = byId.get(id);
      if (earlier && source === 'local' && shippedIds.has(id)) {
        shippedIds.delete(id); // replaced once; a second local file with this id is a duplicate
        byId.set(id, { ...article, summary: { ...article.summary, overrides: earlier.summary.file } });
        return;
      }
      if (earlier) {
        problems.push({ file, field: '/id', message: `the id '${id}' is already used by ${earlier.summary.file}; this file is skipped` });
        return;
      }
      if (source === 'shipped') shippedIds.add(id);
      byId.set(id, article);
    };
    [...shipped, ...local, ...drafts].forEach(add);
    const articles = [...byId.values()].sort((a, b) => a.summary.title.localeCompare(b.summary.title));
    this.state = { articles, byId, problems };
    return { articles: articles.length, problems };
  }

  /** Articles whose words include every word of the query, with the tag if one is given; by title. */
  list(filter: { query?: string | undefined; tag?: string | undefined } = {}): KbArticleSummary[] {
    const words = (filter.query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const tag = filter.tag?.trim().toLowerCase();
    return this.state.articles
      .filter((article) => (tag ? article.summary.tags.includes(tag) : true))
      .filter((article) => words.every((word) => article.searchText.includes(word)))
      .map((article) => article.summary);
  }

  /** Every tag in use, sorted. */
  tags(): string[] {
    return [...new Set(this.state.articles.flatMap((article) => article.summary.tags))].sort();
  }

  /** The articles suggestions are drawn from: shipped and local, not drafts. */
  published(): LoadedArticle[] {
    return this.state.articles.filter((article) => article.summary.source !== 'draft');
  }

  find(id: string): LoadedArticle | undefined {
    return this.state.byId.get(id);
  }

  get(id: string): KbArticle {
    const article = this.find(id);
    if (!article) {
      throw new FieldbenchError({
        code: 'not-found',
        message: `no knowledge-base article '${id}'`,
        step: 'open article',
        hint: 'Reload the knowledge base if the file was just added, or check its problems in the article list.',
      });
    }
    return { ...article.summary, body: article.body, tree: article.tree };
  }
}

/** The *.md files of one folder, parsed; an absent folder is a problem only for the shipped one. */
async function readFolder(dir: string, source: KbSource, required: boolean, problems: KbProblem[]): Promise<LoadedArticle[]> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries
      .filter((entry) => entry.isFile() && entry.name.toLowerCase().endsWith('.md') && !NOT_ARTICLES.has(entry.name.toLowerCase()))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    if (code === 'ENOENT' && !required) return [];
    const message = code === 'ENOENT' ? 'the knowledge-base folder does not exist' : `the knowledge-base folder cannot be read: ${String(error)}`;
    problems.push({ file: dir, field: '', message });
    return [];
  }
  const articles: LoadedArticle[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      problems.push({ file, field: '', message: `cannot be read: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    const checked = parseArticle(text, file, source);
    if (checked.ok) articles.push(checked.article);
    else problems.push(...checked.problems);
  }
  return articles;
}

/**
 * The shipped articles' folder when none is given: $FIELDBENCH_KNOWLEDGE_DIR, the packaged
 * app's resources, or the nearest knowledge-base/ beside a package.json (which tells the
 * app's own folder from a user's folder of the same name; see shipped-folder.ts).
 */
export function defaultKnowledgeDir(): string {
  return findShippedFolder({
    name: KNOWLEDGE_DIR_NAME,
    envVar: KNOWLEDGE_DIR_ENV,
    isOurs: (dir) => existsSync(dir) && existsSync(join(dirname(dir), 'package.json')),
  });
}
