// `fieldbench cases export ID --out FILE` and `fieldbench cases import FILE`, in-process
// through the real core and real case store files in two data folders, the same path as the
// installed command: a bundle written, imported elsewhere, and a damaged one refused with
// the reason on stderr and exit status 1.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseBundleImport } from '../../src-main/api/schemas';
import { runCli } from '../../src-main/cli/main';
import { openCaseStore } from '../../src-main/store/case-store';
import { captureIo } from '../helpers/captured-io';
import { makeTempDir } from '../helpers/temp-dir';

const source = makeTempDir('bundle-cli-source');
const target = makeTempDir('bundle-cli-target');
const files = makeTempDir('bundle-cli-files');
let caseId: string;

async function cli(dataDir: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const code = await runCli([...argv, '--data-dir', dataDir], io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

beforeAll(() => {
  const store = openCaseStore({ dataDir: source.path });
  try {
    caseId = store.cases.open({ title: 'Gateway loses its modem', device: null, snapshot: null, fields: { serialNumber: 'GW-31', tags: ['modem'] } }).id;
    store.cases.saveNote({ caseId, noteId: randomUUID(), text: 'The modem answers AT but never registers on the network.' });
    store.attachments.attach({ caseId, fileName: 'at-trace.log', bytes: new TextEncoder().encode('AT+CREG?\r\n+CREG: 0,2\r\n') });
  } finally {
    store.close();
  }
});

afterAll(() => {
  source.remove();
  target.remove();
  files.remove();
});

describe('fieldbench cases export and import', () => {
  it('writes a bundle, never over an existing file, and imports it on another machine', async () => {
    const out = join(files.path, 'gateway.zip');
    const exported = await cli(source.path, 'cases', 'export', caseId, '--out', out, '--json');
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const written = JSON.parse(exported.stdout) as { file: string; size: number; sha256: string };
    expect(written).toMatchObject({ caseId, file: out, size: readFileSync(out).length });

    const again = await cli(source.path, 'cases', 'export', caseId, '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/gateway\.zip already exists.*never overwritten/u);

    const imported = await cli(target.path, 'cases', 'import', out, '--json');
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const result = CaseBundleImport.parse(JSON.parse(imported.stdout));
    expect(result).toMatchObject({ case: { id: caseId, title: 'Gateway loses its modem' }, renumbered: false, imported: { notes: 1, attachments: 1 } });

    const twice = await cli(target.path, 'cases', 'import', out);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toMatch(/^Imported case [0-9a-f-]{36}: Gateway loses its modem \(open\)\n {2}from case /u);
    expect(twice.stdout).toContain('1 notes, ');
    expect(twice.stdout).toContain('stored as a new case');

    const found = await cli(target.path, 'cases', 'search', 'registers', '--json');
    expect((JSON.parse(found.stdout) as { total: number }).total).toBe(2);
  });

  it('prints what was refused and why, exit status 1, and writes nothing', async () => {
    const out = join(files.path, 'to-damage.zip');
    expect((await cli(source.path, 'cases', 'export', caseId, '--out', out)).code).toBe(0);
    const damaged = readFileSync(out).subarray(0, 300);
    const path = join(files.path, 'damaged.zip');
    writeFileSync(path, damaged);
    const before = (await cli(target.path, 'cases', '--json')).stdout;

    const refused = await cli(target.path, 'cases', 'import', path);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^fieldbench: invalid-request: damaged\.zip: import bundle: damaged\.zip was not imported: .*(cut short|not a zip)/u);
    expect(refused.stderr).toMatch(/export the case again/u);

    const asJson = await cli(target.path, 'cases', 'import', path, '--json');
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'invalid-request', step: 'import bundle' } });
    expect((await cli(target.path, 'cases', '--json')).stdout).toBe(before);
  });

  it('refuses wrong usage', async () => {
    expect((await cli(source.path, 'cases', 'export', caseId)).stderr).toMatch(/cases export needs --out FILE/u);
    expect((await cli(source.path, 'cases', 'import')).stderr).toMatch(/cases import needs a bundle file/u);
    expect((await cli(source.path, 'cases', 'show', caseId, '--out', 'x.zip')).stderr).toMatch(/--out is for cases export/u);
    const missing = await cli(target.path, 'cases', 'import', join(files.path, 'nope.zip'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/there is no file .*nope\.zip/u);
    expect(existsSync(join(files.path, 'nope.zip'))).toBe(false);
  });
});
