// `fieldbench image inspect` as a user runs it, on the files MCUboot's imgtool and srecord
// and dfu-util made: the built command must say what those tools say, and refuse a damaged file with a
// reason, exit status 1 and no stack trace.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect, test } from '@playwright/test';
import { runFieldbench } from './fixtures/run-fieldbench';
import { ImageInspection } from '../../src-main/api/schemas';
import { FIRMWARE_FIXTURES } from '../helpers/fixtures';
import { fixturePath, inspectionPerImgtool, readExpectations, tlvRows, type DfuExpectation, type McubootExpectation, type SegmentsExpectation } from '../helpers/firmware-fixtures';

const run = (args: string[], env: NodeJS.ProcessEnv) => runFieldbench(args, env, 20_000);

/** Paths as a user in the repository would type them, so the keys come back exactly as given. */
const asTyped = (path: string) => relative(process.cwd(), path);
const keyPaths = ['test-pub-ed25519.pem', 'test-pub-ecdsa-p256.pem', 'test-pub-rsa-2048.pem'].map((file) => asTyped(fixturePath('mcuboot', file)));
const keyArgs = keyPaths.flatMap((path) => ['--key', path]);

test.describe('fieldbench image inspect', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  test.beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fieldbench-image-'));
    env = { ...process.env, FIELDBENCH_DATA_DIR: dataDir };
  });
  test.afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('agrees with imgtool on every MCUboot fixture', async () => {
    const expectations = readExpectations<McubootExpectation>('mcuboot');
    expect(expectations.length).toBeGreaterThan(0);
    for (const expected of expectations) {
      const result = await run(['image', 'inspect', asTyped(fixturePath('mcuboot', expected.file)), ...keyArgs, '--json'], env);
      expect(result.stderr, expected.file).toBe('');
      expect(result.code, expected.file).toBe(0);
      // The command prints exactly what the contract promises.
      const inspection = ImageInspection.parse(JSON.parse(result.stdout));
      expect(inspection, expected.file).toMatchObject(inspectionPerImgtool(expected));
      expect(tlvRows(inspection.tlvs)).toEqual(expected.tlvs);
      expect(inspection.keys.map((k) => ({ key: k.key, verdict: k.verdict }))).toEqual(
        keyPaths.map((path) => ({ key: path, verdict: expected.imgtool_verify[path.split('/').at(-1)!] })),
      );
    }
  });

  test('lists the segments srecord lists for every HEX and S-record fixture', async () => {
    for (const expected of readExpectations<SegmentsExpectation>('ihex')) {
      const result = await run(['image', 'inspect', fixturePath('ihex', expected.file), '--json'], env);
      expect(result.code, expected.file).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ format: expected.format, segments: expected.segments });
    }
  });

  test('agrees with dfu-util on every DFU fixture, and refuses the one with a bad CRC', async () => {
    const expectations = readExpectations<DfuExpectation>('dfu');
    expect(expectations.length).toBeGreaterThan(0);
    for (const expected of expectations) {
      const result = await run(['image', 'inspect', fixturePath('dfu', expected.file), '--json'], env);
      if (expected.expect !== undefined) {
        expect(expected.expect).toMatch(/^rejected: suffix CRC mismatch/);
        expect(result.code, expected.file).toBe(1);
        expect(result.stdout).toBe('');
        const { error } = JSON.parse(result.stderr) as { error: { code: string; message: string; step: string } };
        expect(error).toMatchObject({ code: 'invalid-request', step: 'read DFU suffix' });
        expect(error.message).toMatch(/^suffix CRC mismatch/);
        continue;
      }
      expect(result.stderr, expected.file).toBe('');
      expect(result.code, expected.file).toBe(0);
      const inspection = ImageInspection.parse(JSON.parse(result.stdout));
      const { crc_ok: crcOk, ...suffix } = expected.suffix;
      expect(inspection.format, expected.file).toBe(expected.format);
      expect(inspection.dfu?.suffix, expected.file).toMatchObject({ ...suffix, crcOk });
      if (expected.format === 'dfu') {
        expect(inspection.segments).toEqual([{ address: 0, size: expected.payload_size, sha256: expected.payload_sha256 }]);
      } else {
        expect(inspection.dfu?.targets?.map((t) => ({ alt: t.alt, elements: t.elements }))).toEqual(expected.targets);
        expect(inspection.segments).toEqual(expected.targets?.flatMap((t) => t.elements));
      }
    }

    const human = await run(['image', 'inspect', fixturePath('dfu', 'stm32-two-elements.dfu')], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/DfuSe file, 14096 bytes of data in 2 segment\(s\)/);
    expect(human.stdout).toMatch(/DFU suffix: device 0483:df11, .* CRC 0x[0-9a-f]{8} ok/);
    const bad = await run(['image', 'inspect', fixturePath('dfu', 'app-suffixed-badcrc.dfu')], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^fieldbench: invalid-request: read DFU suffix: suffix CRC mismatch/);
  });

  test('a truncated image, a missing file and a key that is not PEM exit 1 with a reason', async () => {
    const cut = join(dataDir, 'cut.bin');
    writeFileSync(cut, readFileSync(fixturePath('mcuboot', 'app-1.1.0-ed25519.bin')).subarray(0, 40_000));
    const truncated = await run(['image', 'inspect', cut, '--json'], env);
    expect(truncated.code).toBe(1);
    expect(truncated.stdout).toBe('');
    const { error } = JSON.parse(truncated.stderr) as { error: { code: string; message: string } };
    expect(error.code).toBe('invalid-request');
    expect(error.message).toMatch(/truncated: the header says 512 bytes of header and 65536 bytes of image .* the file ends at 40000/);

    const missing = await run(['image', 'inspect', join(dataDir, 'nothing.bin'), '--json'], env);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr).error.code).toBe('not-found');

    const badKey = await run(['image', 'inspect', fixturePath('mcuboot', 'app-1.0.0-unsigned.bin'), '--key', fixturePath('ihex', 'part-a.bin'), '--json'], env);
    expect(badKey.code).toBe(1);
    expect(JSON.parse(badKey.stderr).error.message).toMatch(/is not a PEM public key/);

    const human = await run(['image', 'inspect', cut], env);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/^fieldbench: invalid-request: read MCUboot header: truncated/);
    expect(human.stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
  });

  test('prints a short summary for people', async () => {
    const result = await run(['image', 'inspect', join(FIRMWARE_FIXTURES, 'mcuboot', 'app-1.1.0-ed25519-corrupt.bin'), ...keyArgs], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/MCUboot image 1\.1\.0\+7/);
    expect(result.stdout).toMatch(/hash: DOES NOT MATCH/);
    expect(result.stdout).toMatch(/test-pub-ed25519\.pem:\s+bad-hash/);
    expect(result.stdout).toMatch(/warning: the image hash does not match/);
  });
});
