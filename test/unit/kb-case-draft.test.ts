import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseDetail } from '../../src-main/api/schemas';
import { parseArticle } from '../../src-main/core/knowledge/article-file';
import { draftFromCase, slug } from '../../src-main/core/knowledge/case-draft';
import { writeNewDraft } from '../../src-main/core/knowledge/draft-files';
import { fieldbenchErrorFrom, fieldbenchErrorOf } from '../helpers/fieldbench-error-from';
import { makeTempDir } from '../helpers/temp-dir';

const WRITTEN = new Date('2026-11-27T10:00:00Z');

function resolvedCase(overrides: Partial<CaseDetail> = {}): CaseDetail {
  return {
    id: '00000000-0000-4000-8000-000000000042',
    title: 'DFU write fails | at 0x08004000: "quoted" & <b>tagged</b>',
    status: 'resolved',
    deviceModel: 'STM32 board',
    deviceSerial: 'A1',
    noteCount: 1,
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-02T00:00:00Z',
    fields: { customer: null, assetId: null, symptom: 'Flash stops at 40 %', severity: 'medium', tags: ['dfu'], resolution: 'Cleared WRP on sector 1.', rootCause: 'Write protection left on by production.', revision: 3 },
    device: { deviceId: 'usb:1', transport: 'usb', path: '1-1', profileId: 'stm32-system-bootloader', identity: null },
    snapshot: null,
    notes: [{ id: '00000000-0000-4000-8000-000000000001', caseId: '00000000-0000-4000-8000-000000000042', text: '\n  First line | with a pipe\nsecond line', revision: 1, createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-01T00:00:00Z' }],
    attachments: [],
    timeline: [{ id: '00000000-0000-4000-8000-000000000003', caseId: '00000000-0000-4000-8000-000000000042', kind: 'firmware', at: '2026-11-01T00:00:00Z', summary: 'Firmware app.dfu: write failed — errWRITE: the device could not write the flash at 0x08004000', data: { status: 'failed' } }],
    ...overrides,
  };
}

let dir: { path: string; remove(): void } | null = null;
afterEach(() => dir?.remove());

describe('a draft article from a case', () => {
  it('is an article that loads, with the codes of the failed steps, the model, resolution and root cause', () => {
    const draft = draftFromCase(resolvedCase(), WRITTEN);
    const parsed = parseArticle(draft.text, 'x.md', 'draft');
    expect(parsed.ok ? [] : parsed.problems).toEqual([]);
    if (!parsed.ok) return;
    expect(parsed.article.summary).toMatchObject({
      id: 'dfu-write-fails-at-0x08004000-quoted-b-tagged-b',
      title: 'DFU write fails | at 0x08004000: "quoted" & <b>tagged</b>',
      symptoms: ['Flash stops at 40 %'],
      errorCodes: [{ kind: 'dfu', code: 'errWRITE', name: null }],
      models: ['stm32-system-bootloader'],
      firmware: [],
      tags: ['dfu', 'from-case'],
    });
    expect(draft.text).toContain('## Firmware steps that failed');
    expect(draft.text).toContain('- First line | with a pipe');
    expect(draft.text).not.toContain('second line');
    expect(draft.text).toContain('Cleared WRP on sector 1.');
    expect(draft.text).toContain('Write protection left on by production.');
    expect(draft.text).toContain('Draft written on 2026-11-27 from case 00000000-0000-4000-8000-000000000042');
  });

  it('refuses a case that is not resolved, saying what to do', () => {
    const error = fieldbenchErrorFrom(() => draftFromCase(resolvedCase({ status: 'waiting' }), WRITTEN));
    expect(error).toMatchObject({ code: 'invalid-request', step: 'write article from case' });
    expect(error.message).toMatch(/is waiting, not resolved/);
  });

  it('makes a kebab-case id from any title', () => {
    expect(slug('  Écran noir — après MAJ 1.4.2!  ')).toBe('ecran-noir-apres-maj-1-4-2');
    expect(slug('!!!')).toBe('case');
    expect(slug('x'.repeat(100))).toHaveLength(60);
  });

  it('never writes over an existing file: the next free name is taken', async () => {
    dir = makeTempDir('kb-drafts');
    const taken = join(dir.path, 'drafts', 'name.md');
    const make = (suffix: string) => ({ id: `name${suffix}`, text: `draft${suffix}` });
    const first = await writeNewDraft(join(dir.path, 'drafts'), make);
    expect(first).toEqual({ path: taken, id: 'name' });
    writeFileSync(join(dir.path, 'drafts', 'name-2.md'), 'someone else');
    const third = await writeNewDraft(join(dir.path, 'drafts'), make);
    expect(third).toEqual({ path: join(dir.path, 'drafts', 'name-3.md'), id: 'name-3' });
    expect(readFileSync(taken, 'utf8')).toBe('draft');
    expect(readFileSync(join(dir.path, 'drafts', 'name-2.md'), 'utf8')).toBe('someone else');
  });

  it('a folder it cannot write is a store error with what to do', async () => {
    dir = makeTempDir('kb-drafts');
    const file = join(dir.path, 'not-a-folder');
    writeFileSync(file, '');
    const error = await fieldbenchErrorOf(writeNewDraft(join(file, 'drafts'), (s) => ({ id: `x${s}`, text: '' })));
    expect(error).toMatchObject({ code: 'store-error', step: 'write article from case' });
    expect(error.hint).toMatch(/writable/);
  });
});
