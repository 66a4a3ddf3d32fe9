// The knowledge base through the core's dispatch and the CLI, on a real data folder: a
// virtual sensor node with a flat battery on a pseudo-terminal, its diagnostics, a case
// opened on it with a log capture, a draft written from the resolved case, and a local
// article that replaces a shipped one.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KbArticle } from '../../src-main/api/schemas';
import { runCli } from '../../src-main/cli/main';
import type { Core } from '../../src-main/core/core';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { attachSensorNodeOnPty, type SensorNodeOnPty } from '../../src-main/virtual/attach-sensor-node';
import { captureIo } from '../helpers/captured-io';
import { fails, ok, startCore } from '../helpers/core-fixture';
import { makeTempDir } from '../helpers/temp-dir';

const dir = makeTempDir('kb-core');
let core: Core;
let node: SensorNodeOnPty;

beforeAll(async () => {
  node = await attachSensorNodeOnPty({ seed: 7, batteryVolts: 3.2, resetCause: 'brownout', errorLogEntries: 0 });
  core = await startCore(dir.path);
}, 30_000);

afterAll(async () => {
  await core?.close();
  await node?.detach();
  dir.remove();
});

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const code = await runCli([...argv, '--data-dir', dir.path], io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

describe('the knowledge base in the core', () => {
  it('lists the shipped articles with their tags, and gets one with its safe tree', async () => {
    const listed = await ok(core, 'kb.list', {});
    expect(listed.problems).toEqual([]);
    expect(listed.articles.length).toBeGreaterThanOrEqual(6);
    expect(listed.tags).toContain('battery');
    expect((await ok(core, 'kb.list', { tag: 'dfu' })).articles.map((a) => a.id)).toEqual(expect.arrayContaining(['dfuse-read-protection', 'dfu-write-verify-errors']));
    expect((await ok(core, 'kb.list', { query: 'read-unprotect mass-erases' })).articles.map((a) => a.id)).toEqual(['dfuse-read-protection']);
    const article = KbArticle.parse(await ok(core, 'kb.get', { id: 'sensor-node-low-battery-brownout' }));
    expect(article.tree[0]).toMatchObject({ type: 'heading', level: 1 });
    expect((await fails(core, 'kb.get', { id: 'no-such-article' })).code).toBe('not-found');
  });

  it('suggests the low-battery article for a node with a flat battery, from its last diagnostics', async () => {
    const device = await ok(core, 'devices.addPort', { path: node.hostPath });
    await ok(core, 'devices.identify', { deviceId: device.id });
    expect((await ok(core, 'kb.suggest', { deviceId: device.id })).suggestions).toEqual([]); // nothing read yet
    const report = await ok(core, 'diagnostics.read', { deviceId: device.id });
    expect(report.readings.find((r) => r.id === 'battery-voltage')?.status).toBe('fail');

    const { suggestions, basis } = await ok(core, 'kb.suggest', { deviceId: device.id });
    expect(basis).toMatchObject({ models: expect.arrayContaining(['fieldbench-sensor-node']), firmware: report.identity?.firmwareVersion });
    expect(suggestions[0]?.article.id).toBe('sensor-node-low-battery-brownout');
    const reasons = suggestions[0]!.reasons.map((r) => r.text);
    expect(reasons).toContain(`reading battery-voltage fail (${report.readings.find((r) => r.id === 'battery-voltage')!.value} V)`);
    expect(reasons).toContain('reading reset-cause fail');
    expect(reasons).toContain('written for fieldbench-sensor-node');
    // A DFU article is for other models: it is never offered for this node, even for its code.
    const withCode = await ok(core, 'kb.suggest', { deviceId: device.id, errorCode: { kind: 'dfu', code: 'errWRITE' } });
    expect(withCode.suggestions.map((s) => s.article.id)).not.toContain('dfuse-read-protection');
  }, 30_000);

  it('from a case: its snapshot and attached log; a draft only once it is resolved, never over an earlier one', async () => {
    const deviceId = (await ok(core, 'devices.list', {})).find((d) => d.path === node.hostPath)!.id;
    const opened = await ok(core, 'cases.open', { title: 'Node restarts at the customer site', deviceId, fields: { symptom: 'Restarts every few hours\nData gaps at night', severity: 'high', tags: ['power'] } });
    await ok(core, 'cases.attach', { caseId: opened.id, fileName: 'uart.log', contentBase64: Buffer.from('<inf> boot\n<wrn> BOR: brownout on VDD\n').toString('base64') });

    const { suggestions } = await ok(core, 'kb.suggest', { caseId: opened.id });
    expect(suggestions[0]?.article.id).toBe('sensor-node-low-battery-brownout');
    expect(suggestions[0]!.reasons.map((r) => r.text)).toContain('log line matches /brown-?out/: <wrn> BOR: brownout on VDD');

    const refused = await fails(core, 'kb.draftFromCase', { caseId: opened.id });
    expect(refused).toMatchObject({ code: 'invalid-request', step: 'write article from case' });
    expect(refused.hint).toMatch(/mark it resolved/);
    expect(existsSync(join(dir.path, 'knowledge-base', 'drafts'))).toBe(false);

    await ok(core, 'cases.saveNote', { caseId: opened.id, noteId: '11111111-1111-4111-8111-111111111111', text: 'Battery measured 3.2 V at the site.\nMore detail here.' });
    await ok(core, 'cases.update', { caseId: opened.id, fields: { status: 'resolved', resolution: 'Replaced the cell and charged to 4.1 V.', rootCause: 'Cell lost capacity.' } });
    const first = await ok(core, 'kb.draftFromCase', { caseId: opened.id });
    expect(dirname(first.path)).toBe(join(dir.path, 'knowledge-base', 'drafts'));
    expect(first.article).toMatchObject({
      id: 'node-restarts-at-the-customer-site',
      source: 'draft',
      title: 'Node restarts at the customer site',
      symptoms: ['Restarts every few hours', 'Data gaps at night'],
      models: ['fieldbench-sensor-node'],
      readings: expect.arrayContaining([{ id: 'battery-voltage', status: 'fail', below: null, above: null }]),
      tags: ['power', 'from-case'],
    });
    const text = readFileSync(first.path, 'utf8');
    for (const words of ['Replaced the cell and charged to 4.1 V.', 'Cell lost capacity.', '- Battery measured 3.2 V at the site.', '| Battery voltage |', 'Severity on the case: **high**']) expect(text).toContain(words);
    expect(text).not.toContain('More detail here.');

    const second = await ok(core, 'kb.draftFromCase', { caseId: opened.id });
    expect(second.path).not.toBe(first.path);
    expect(second.article.id).toBe('node-restarts-at-the-customer-site-2');
    expect(readFileSync(first.path, 'utf8')).toBe(text);
    const drafts = (await ok(core, 'kb.list', {})).articles.filter((a) => a.source === 'draft');
    expect(drafts).toHaveLength(2);
    // Drafts are never suggested.
    expect((await ok(core, 'kb.suggest', { caseId: opened.id })).suggestions.every((s) => s.article.source !== 'draft')).toBe(true);
  }, 30_000);

  it('from a case: a firmware step that failed with an SMP error brings up the article for that code', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    try {
      const opened = await ok(core, 'cases.open', { title: 'Update stops at once', deviceId: device.id });
      await ok(core, 'devices.setFaults', { deviceId: device.id, faults: { smpErrorRc: 2 } });
      const image = createMcubootImage({ version: '1.6.0', payload: new Uint8Array(4096).fill(0x5a) });
      const started = await ok(core, 'firmware.flash', { deviceId: device.id, fileName: 'app-1.6.0.bin', contentBase64: Buffer.from(image).toString('base64'), caseId: opened.id });
      const deadline = Date.now() + 20_000;
      let job = started;
      while (job.state !== 'finished' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        job = await ok(core, 'firmware.job', { jobId: started.id });
      }
      expect(job).toMatchObject({ state: 'finished', outcome: 'failed' });
      const { suggestions } = await ok(core, 'kb.suggest', { caseId: opened.id });
      const article = suggestions.find((s) => s.article.id === 'smp-upload-buffer-too-small');
      expect(article?.reasons.map((r) => r.text)).toContain('SMP error 2 (MGMT_ERR_ENOMEM)');
    } finally {
      await ok(core, 'devices.detach', { deviceId: device.id });
    }
  }, 40_000);

  it('a local article replaces the shipped one after a reload; a broken one is a problem, the rest still load', async () => {
    const local = join(dir.path, 'knowledge-base');
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, 'ours.md'), '---\nid: smp-image-too-large\ntitle: Image too large (our fleet)\nlogPatterns: ["too large"]\n---\nAsk the release team.\n');
    writeFileSync(join(local, 'broken.md'), '---\nid: broken\ntitle: Broken\nlogPatterns: ["(a+)+"]\n---\n');
    const reloaded = await ok(core, 'kb.reload', {});
    expect(reloaded.problems).toEqual([{ file: join(local, 'broken.md'), field: '/logPatterns/0', message: expect.stringMatching(/exponential/) }]);
    const replaced = await ok(core, 'kb.get', { id: 'smp-image-too-large' });
    expect(replaced).toMatchObject({ source: 'local', title: 'Image too large (our fleet)', overrides: expect.stringMatching(/knowledge-base\/smp-image-too-large\.md$/) });
  });
});

describe('fieldbench kb', () => {
  it('kb list prints a table and names the files that did not load', async () => {
    const { code, stdout, stderr } = await cli('kb', 'list');
    expect(code).toBe(0);
    expect(stdout).toMatch(/ID\s+SOURCE\s+TAGS\s+TITLE/);
    expect(stdout).toMatch(/dfu-write-verify-errors\s+shipped/);
    expect(stderr).toMatch(/skipped .*broken\.md at \/logPatterns\/0/);
    const json = await cli('kb', 'list', '--tag', 'smp', '--json');
    expect((JSON.parse(json.stdout) as { articles: { id: string }[] }).articles.map((a) => a.id)).toEqual(expect.arrayContaining(['smp-upload-buffer-too-small']));
  });

  it('kb show prints an article as text, or its JSON', async () => {
    const { code, stdout } = await cli('kb', 'show', 'dfuse-read-protection');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Article:\s+STM32 DfuSe/);
    expect(stdout).toMatch(/Codes:\s+dfu errVENDOR, dfu errTARGET, dfu errWRITE/);
    expect(stdout).toContain('# STM32 DfuSe: flashing fails because read protection is on');
    expect(stdout).toMatch(/2\. If not, flash with `--read-unprotect`:/);
    const json = await cli('kb', 'show', 'dfuse-read-protection', '--json');
    expect(KbArticle.parse(JSON.parse(json.stdout)).id).toBe('dfuse-read-protection');
    const missing = await cli('kb', 'show', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not-found: .*no knowledge-base article 'nope'/);
  });

  it('kb suggest by SMP code, DFU status or log line, for a model and firmware', async () => {
    const smp = await cli('kb', 'suggest', '--smp-error', '2');
    expect(smp.code).toBe(0);
    expect(smp.stdout).toMatch(/^smp-upload-buffer-too-small {2}Firmware upload fails/);
    expect(smp.stdout).toContain('    SMP error 2 (MGMT_ERR_ENOMEM)');

    const dfu = await cli('kb', 'suggest', '--dfu-status', 'errwrite', '--model', 'stm32-system-bootloader', '--json');
    const ids = (JSON.parse(dfu.stdout) as { suggestions: { article: { id: string } }[] }).suggestions.map((s) => s.article.id);
    expect(ids).toEqual(['dfuse-read-protection', 'dfu-write-verify-errors']);

    const otherModel = await cli('kb', 'suggest', '--dfu-status', 'errVENDOR', '--model', 'fieldbench-sensor-node');
    expect(otherModel.stdout).toBe('No article matches.');

    const line = await cli('kb', 'suggest', '--log-line', '<err> wdt: watchdog expired', '--model', 'sensor-node', '--firmware', '1.4.2');
    expect(line.stdout).toContain('sensor-node-watchdog-resets');
    expect(line.stdout).toContain('log line matches /watchdog/: <err> wdt: watchdog expired');
  });

  it.each([
    [['kb'], /kb needs an action/],
    [['kb', 'show'], /kb show needs an article id/],
    [['kb', 'suggest'], /kb suggest needs one of --log-line TEXT, --smp-error N or --dfu-status NAME/],
    [['kb', 'suggest', '--smp-error', '2', '--log-line', 'x'], /needs one of/],
    [['kb', 'suggest', '--smp-error', 'two'], /--smp-error takes an SMP result code/],
    [['kb', 'suggest', '--dfu-status', 'errOOPS'], /--dfu-status takes a DFU 1.1 status name/],
    [['kb', 'list', '--smp-error', '2'], /--smp-error is for kb suggest/],
    [['kb', 'show', 'x', '--tag', 'y'], /--tag is for kb list/],
  ])('refuses %j as wrong usage', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
