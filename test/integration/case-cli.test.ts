// `fieldbench cases search|show|history` run in-process through the real core and a real
// case store file, the same path as the installed command.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseDetail, CaseSearchResult, CaseSummary } from '../../src-main/api/schemas';
import { runCli } from '../../src-main/cli/main';
import type { Io } from '../../src-main/cli/output';
import { openCaseStore } from '../../src-main/store/case-store';
import { makeTempDir } from '../helpers/temp-dir';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = capture();
  const code = await runCli([...argv, '--data-dir', dir.path], io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

const dir = makeTempDir('case-cli');
let radio: string;
let other: string;

beforeAll(() => {
  const store = openCaseStore({ dataDir: dir.path });
  try {
    radio = store.cases.open({ title: 'Radio drops at night', device: null, snapshot: null, fields: { serialNumber: 'SN-7', tags: ['radio'] } }).id;
    store.cases.saveNote({ caseId: radio, noteId: randomUUID(), text: 'The watchdog fired twice after the antenna swap.' });
    store.attachments.attach({ caseId: radio, fileName: 'uart.log', bytes: new TextEncoder().encode('E: watchdog reset in uart_rx\n') });
    other = store.cases.open({ title: 'Battery drains', device: null, snapshot: null, fields: { serialNumber: 'SN-7' } }).id;
    store.cases.setStatus(other, 'waiting');
  } finally {
    store.close();
  }
});

afterAll(() => dir.remove());

describe('fieldbench cases', () => {
  it('searches with --json, answering the contract shape', async () => {
    const { code, stdout, stderr } = await cli('cases', 'search', 'watchdog', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = CaseSearchResult.parse(JSON.parse(stdout));
    expect(result.total).toBe(1);
    expect(result.hits[0]?.caseId).toBe(radio);
    expect(result.hits[0]?.matches.map((m) => m.field)).toEqual(['note', 'attachment']);
  });

  it('prints hits for a person, with the matched words marked', async () => {
    const { code, stdout } = await cli('cases', 'search', 'watchdog', 'antenna');
    expect(code).toBe(0);
    expect(stdout).toContain('Radio drops at night');
    expect(stdout).toContain('note: The [watchdog] fired twice after the [antenna] swap.');
    expect(stdout).toContain('1 matching case');
    expect((await cli('cases', 'search', 'nothing-here')).stdout).toBe('No cases match.');
  });

  it('filters by status, tag and serial', async () => {
    const byStatus = CaseSearchResult.parse(JSON.parse((await cli('cases', 'search', '--status', 'waiting', '--json')).stdout));
    expect(byStatus.hits.map((h) => h.caseId)).toEqual([other]);
    const byTag = CaseSearchResult.parse(JSON.parse((await cli('cases', 'search', '--tag', 'RADIO', '--json')).stdout));
    expect(byTag.hits.map((h) => h.caseId)).toEqual([radio]);
    const bySerial = CaseSearchResult.parse(JSON.parse((await cli('cases', 'search', 'battery', '--serial', 'SN-7', '--json')).stdout));
    expect(bySerial.hits.map((h) => h.caseId)).toEqual([other]);
  });

  it('shows one case, and a device history', async () => {
    const shown = await cli('cases', 'show', radio, '--json');
    expect(shown.code).toBe(0);
    const detail = CaseDetail.parse(JSON.parse(shown.stdout));
    expect(detail.attachments.map((a) => a.fileName)).toEqual(['uart.log']);
    const text = (await cli('cases', 'show', radio)).stdout;
    expect(text).toContain('Tags:');
    expect(text).toContain('Attachment: uart.log');
    expect(text).toContain('Attached uart.log');

    const history = await cli('cases', 'history', 'SN-7', '--json');
    expect(CaseSummary.array().parse(JSON.parse(history.stdout)).map((c) => c.id)).toEqual([other, radio]);
    expect((await cli('cases', 'history', 'SN-404')).stdout).toBe('No cases for serial number SN-404.');
  });

  it('fails with a reason for a case that does not exist', async () => {
    const { code, stderr } = await cli('cases', 'show', randomUUID());
    expect(code).toBe(1);
    expect(stderr).toMatch(/not-found: .*no case with id/);
    const bad = await cli('cases', 'show', 'not-a-uuid', '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr)).toMatchObject({ error: { code: 'invalid-request' } });
  });
});
