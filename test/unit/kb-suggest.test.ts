import { describe, expect, it } from 'vitest';
import type { CaseDetail, Device } from '../../src-main/api/schemas';
import { parseArticle, type LoadedArticle } from '../../src-main/core/knowledge/article-file';
import { caseObservations, deviceObservations, givenObservations, mergeObservations } from '../../src-main/core/knowledge/observations';
import { errorCodesInText, suggestArticles, type Observations } from '../../src-main/core/knowledge/suggest-articles';

function article(frontMatter: string): LoadedArticle {
  const parsed = parseArticle(`---\n${frontMatter}\n---\nSteps.\n`, '/kb/x.md', 'shipped');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.article;
}

const battery = article(
  ['id: low-battery', 'title: Low battery', 'readings:', '  - { id: battery-voltage, status: fail }', '  - { id: reset-cause, status: fail }', '  - { id: battery-voltage, below: 3.4 }', 'logPatterns: ["brown-?out"]', 'models: [fieldbench-sensor-node]'].join('\n'),
);
const enomem = article(['id: enomem', 'title: Buffer too small', 'errorCodes:', '  - { kind: smp, code: 2, name: MGMT_ERR_ENOMEM }', 'logPatterns: ["MGMT_ERR_ENOMEM"]'].join('\n'));
const dfu = article(['id: dfu-write', 'title: DFU write errors', 'errorCodes: [{ kind: dfu, code: errWRITE }]', 'models: [stm32-system-bootloader]'].join('\n'));
const oldFirmware = article(['id: old-watchdog', 'title: Watchdog on old firmware', 'readings: [{ id: reset-cause, status: warn }]', 'firmware: ">=1.0.0 <1.4.0"'].join('\n'));

function observed(partial: Partial<Observations>): Observations {
  return { models: [], firmware: null, readings: [], errorCodes: [], logLines: [], ...partial };
}

describe('suggesting articles', () => {
  it('says why an article matched: readings, error codes, log lines, then model', () => {
    const [first, ...rest] = suggestArticles([battery, enomem, dfu], observed({
      models: ['fieldbench-sensor-node', 'sensor-node'],
      readings: [
        { id: 'battery-voltage', status: 'fail', value: 3.21, unit: 'V' },
        { id: 'reset-cause', status: 'fail', value: 'brownout' },
      ],
      logLines: ['<inf> boot', '<wrn> Brownout detected on VDD'],
    }));
    expect(rest).toEqual([]);
    expect(first!.article.id).toBe('low-battery');
    expect(first!.reasons.map((r) => [r.kind, r.text])).toEqual([
      ['reading', 'reading battery-voltage fail (3.21 V)'],
      ['reading', 'reading reset-cause fail'],
      ['reading', 'reading battery-voltage 3.21 V is below 3.4 V'],
      ['log-line', 'log line matches /brown-?out/: <wrn> Brownout detected on VDD'],
      ['model', 'written for fieldbench-sensor-node'],
    ]);
  });

  it('matches an SMP code by number or by name, and a DFU status by name', () => {
    expect(suggestArticles([enomem], observed({ errorCodes: [{ kind: 'smp', code: 2 }] }))[0]!.reasons).toEqual([{ kind: 'error-code', text: 'SMP error 2 (MGMT_ERR_ENOMEM)' }]);
    expect(suggestArticles([enomem], observed({ errorCodes: [{ kind: 'smp', code: 'mgmt_err_enomem' }] }))).toHaveLength(1);
    expect(suggestArticles([enomem], observed({ errorCodes: [{ kind: 'dfu', code: 2 }] }))).toEqual([]);
    expect(suggestArticles([dfu], observed({ errorCodes: [{ kind: 'dfu', code: 'errWRITE' }] }))[0]!.reasons[0]!.text).toBe('DFU status errWRITE');
  });

  it('leaves out an article for another model or outside its firmware range, and keeps it when they are unknown', () => {
    const writeError = observed({ errorCodes: [{ kind: 'dfu', code: 'errWRITE' }] });
    expect(suggestArticles([dfu], { ...writeError, models: ['fieldbench-sensor-node'] })).toEqual([]);
    expect(suggestArticles([dfu], { ...writeError, models: ['stm32-system-bootloader'] })).toHaveLength(1);
    expect(suggestArticles([dfu], writeError)).toHaveLength(1);

    const watchdog = observed({ readings: [{ id: 'reset-cause', status: 'warn', value: 'watchdog' }] });
    expect(suggestArticles([oldFirmware], { ...watchdog, firmware: '1.4.2' })).toEqual([]);
    const inRange = suggestArticles([oldFirmware], { ...watchdog, firmware: '1.3.0' });
    expect(inRange[0]!.reasons.at(-1)).toEqual({ kind: 'firmware', text: 'firmware 1.3.0 is in >=1.0.0 <1.4.0' });
    expect(suggestArticles([oldFirmware], watchdog)).toHaveLength(1);
  });

  it('a status rule matches that status only', () => {
    expect(suggestArticles([oldFirmware], observed({ readings: [{ id: 'reset-cause', status: 'fail' }] }))).toEqual([]);
    expect(suggestArticles([battery], observed({ readings: [{ id: 'battery-voltage', status: 'warn', value: 3.45, unit: 'V' }] }))).toEqual([]);
  });

  it('ranks more evidence and a matching model higher', () => {
    const generic = article(['id: generic', 'title: A generic brownout note', 'logPatterns: ["brown-?out"]'].join('\n'));
    const lines = { logLines: ['brownout'] };
    expect(suggestArticles([generic, battery], observed({ ...lines, models: ['fieldbench-sensor-node'] })).map((s) => s.article.id)).toEqual(['low-battery', 'generic']);
    const ranked = suggestArticles([battery, generic], observed({ ...lines, readings: [{ id: 'battery-voltage', status: 'fail', value: 3.2 }] }));
    expect(ranked.map((s) => s.article.id)).toEqual(['low-battery', 'generic']);
    expect(ranked[0]!.score).toBeGreaterThan(ranked[1]!.score);
  });

  it('nothing matched is nothing suggested, even for the right model', () => {
    expect(suggestArticles([battery], observed({ models: ['fieldbench-sensor-node'], readings: [{ id: 'battery-voltage', status: 'ok', value: 4.0 }] }))).toEqual([]);
  });
});

describe('what suggestions are judged on', () => {
  it('finds MCUmgr and DFU error names in text', () => {
    expect(errorCodesInText('upload failed: MGMT_ERR_ENOMEM; later IMG_MGMT_ERR_INVALID_IMAGE_TOO_LARGE and errVERIFY, not errFOO')).toEqual([
      { kind: 'smp', code: 'MGMT_ERR_ENOMEM' },
      { kind: 'smp', code: 'IMG_MGMT_ERR_INVALID_IMAGE_TOO_LARGE' },
      { kind: 'dfu', code: 'errVERIFY' },
    ]);
  });

  it('a number given for an SMP or DFU code also carries its name', () => {
    expect(givenObservations({ errorCode: { kind: 'smp', code: 2 } }).errorCodes).toEqual([
      { kind: 'smp', code: 2 },
      { kind: 'smp', code: 'MGMT_ERR_ENOMEM' },
    ]);
    expect(givenObservations({ errorCode: { kind: 'dfu', code: 3 } }).errorCodes).toContainEqual({ kind: 'dfu', code: 'errWRITE' });
    expect(givenObservations({ logLine: 'E: errWRITE at 0x08004000', model: 'm', firmware: '1.0' })).toEqual({
      models: ['m'],
      firmware: '1.0',
      readings: [],
      errorCodes: [{ kind: 'dfu', code: 'errWRITE' }],
      logLines: ['E: errWRITE at 0x08004000'],
    });
  });

  it('a device gives its profile, model, firmware and last readings', () => {
    const device = { profileId: 'fieldbench-sensor-node', profileName: 'Sensor Node', identity: { model: 'sensor-node', serialNumber: 'SN-1', firmwareVersion: '1.4.2' } } as Device;
    const facts = deviceObservations(device, null);
    expect(facts).toMatchObject({ models: ['fieldbench-sensor-node', 'Sensor Node', 'sensor-node'], firmware: '1.4.2', readings: [] });
  });

  it('a case gives its snapshot, the firmware failures on its timeline with their codes, and attached text', () => {
    const detail = {
      id: '00000000-0000-4000-8000-000000000001',
      deviceModel: 'sensor-node',
      device: { deviceId: 'd', transport: 'serial', path: '/dev/x', profileId: 'fieldbench-sensor-node', identity: { model: 'sensor-node', serialNumber: 'SN-1', firmwareVersion: '1.4.2' } },
      snapshot: { deviceId: 'd', profileId: 'p', identity: null, readings: [{ id: 'battery-voltage', label: 'B', value: 3.2, unit: 'V', status: 'fail', limits: null, message: null, readAt: '2026-01-01T00:00:00Z' }], startedAt: '', finishedAt: '' },
      timeline: [
        { kind: 'firmware', summary: 'Firmware 1.5.0: upload started', data: { status: 'started' } },
        { kind: 'firmware', summary: 'Firmware 1.5.0: upload failed — the device ran out of memory (MGMT_ERR_ENOMEM)', data: { status: 'failed' } },
        { kind: 'firmware', summary: 'Firmware update failed: see above', data: { outcome: 'failed' } },
        { kind: 'snapshot', summary: 'MGMT_ERR_EBUSY in a snapshot is not a firmware failure', data: { status: 'failed' } },
      ],
    } as unknown as CaseDetail;
    const facts = caseObservations(detail, ['line one\r\n<err> brownout']);
    expect(facts.models).toEqual(['fieldbench-sensor-node', 'sensor-node']);
    expect(facts.firmware).toBe('1.4.2');
    expect(facts.readings).toEqual([{ id: 'battery-voltage', status: 'fail', value: 3.2, unit: 'V' }]);
    expect(facts.errorCodes).toEqual([{ kind: 'smp', code: 'MGMT_ERR_ENOMEM' }]);
    expect(facts.logLines).toEqual(['Firmware 1.5.0: upload failed — the device ran out of memory (MGMT_ERR_ENOMEM)', 'Firmware update failed: see above', 'line one', '<err> brownout']);
  });

  it('merging: what is given first wins for firmware, readings by id once, models joined', () => {
    const merged = mergeObservations(
      observed({ firmware: '2.0.0', models: ['a'], readings: [{ id: 'x', status: 'fail' }] }),
      observed({ firmware: '1.0.0', models: ['a', 'b'], readings: [{ id: 'x', status: 'ok' }, { id: 'y', status: 'warn' }] }),
    );
    expect(merged).toMatchObject({ firmware: '2.0.0', models: ['a', 'b'], readings: [{ id: 'x', status: 'fail' }, { id: 'y', status: 'warn' }] });
  });
});
