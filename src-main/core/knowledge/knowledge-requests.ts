// The kb.* requests over the knowledge base, the device list and the case store: gathers
// what a suggestion is judged on, and writes drafts from cases. The case store is only read.
import { readFile } from 'node:fs/promises';
import type { ParsedRequestOf, ResponseOf } from '../../api/contract';
import type { CaseAttachmentContent, CaseDetail, Device, DiagnosticsReport } from '../../api/schemas';
import { searchableText } from '../../store/attachment-text';
import { draftFromCase } from './case-draft';
import { writeNewDraft } from './draft-files';
import type { KnowledgeBase } from './knowledge-base';
import { caseObservations, deviceObservations, emptyObservations, givenObservations, mergeObservations } from './observations';
import { suggestArticles } from './suggest-articles';
import { parseArticle } from './article-file';

/** Attached text read per case for suggestions; a case's log captures rarely exceed this. */
const MAX_ATTACHMENT_TEXT_BYTES = 4 * 1024 * 1024;

export interface KnowledgeRequestDeps {
  kb: KnowledgeBase;
  device(deviceId: string): Device;
  lastReport(deviceId: string): DiagnosticsReport | null;
  caseDetail(caseId: string): CaseDetail;
  attachment(caseId: string, attachmentId: string): CaseAttachmentContent;
  now(): Date;
}

export function knowledgeRequests(deps: KnowledgeRequestDeps) {
  const { kb } = deps;

  function attachmentTexts(detail: CaseDetail): string[] {
    const texts: string[] = [];
    let budget = MAX_ATTACHMENT_TEXT_BYTES;
    for (const attachment of detail.attachments) {
      if (!attachment.searchable || attachment.size > budget) continue;
      const content = deps.attachment(detail.id, attachment.id);
      const text = searchableText(Buffer.from(content.contentBase64, 'base64'), content.fileName, content.mediaType);
      if (text === null) continue;
      texts.push(text);
      budget -= attachment.size;
    }
    return texts;
  }

  return {
    list: async ({ query, tag }: ParsedRequestOf<'kb.list'>): Promise<ResponseOf<'kb.list'>> => ({
      articles: kb.list({ query, tag }),
      tags: kb.tags(),
      problems: kb.problems,
    }),

    get: async ({ id }: ParsedRequestOf<'kb.get'>): Promise<ResponseOf<'kb.get'>> => kb.get(id),

    reload: async (): Promise<ResponseOf<'kb.reload'>> => kb.reload(),

    suggest: async (request: ParsedRequestOf<'kb.suggest'>): Promise<ResponseOf<'kb.suggest'>> => {
      const given = givenObservations(request);
      const fromDevice = request.deviceId === undefined ? emptyObservations() : deviceObservations(deps.device(request.deviceId), deps.lastReport(request.deviceId));
      let fromCase = emptyObservations();
      if (request.caseId !== undefined) {
        const detail = deps.caseDetail(request.caseId);
        fromCase = caseObservations(detail, attachmentTexts(detail));
      }
      const observed = mergeObservations(given, fromDevice, fromCase);
      return {
        suggestions: suggestArticles(kb.published(), observed),
        basis: { models: observed.models, firmware: observed.firmware },
      };
    },

    draftFromCase: async ({ caseId }: ParsedRequestOf<'kb.draftFromCase'>): Promise<ResponseOf<'kb.draftFromCase'>> => {
      const detail = deps.caseDetail(caseId);
      const writtenAt = deps.now();
      draftFromCase(detail, writtenAt); // refuses a case that is not resolved before anything is written
      const taken = new Set(kb.list().map((article) => article.id));
      const { path } = await writeNewDraft(kb.draftsDir, (suffix) => {
        // An id another article has would make the draft a duplicate that does not load.
        let extra = suffix;
        for (let n = 2; taken.has(draftFromCase(detail, writtenAt, extra).id); n++) extra = `${suffix}-${n}`;
        return draftFromCase(detail, writtenAt, extra);
      });
      await kb.reload();
      const loaded = kb.list().find((article) => article.file === path);
      if (loaded) return { path, article: kb.get(loaded.id) };
      // Only a bug in the draft writer gets here; say what the file got wrong.
      const checked = parseArticle(await readFile(path, 'utf8'), path, 'draft');
      const why = checked.ok ? 'another article has its id' : checked.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      throw new Error(`the draft written to ${path} does not load: ${why}`);
    },
  };
}

export type KnowledgeRequests = ReturnType<typeof knowledgeRequests>;
