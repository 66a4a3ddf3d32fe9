// `fieldbench procedure list|run` in-process through the real core, on a virtual sensor node
// attached for the command (--virtual) on a real pseudo-terminal, with a real case store.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { openCaseStore } from '../../src-main/store/case-store';
import { captureIo } from '../helpers/captured-io';
import { makeTempDir } from '../helpers/temp-dir';

const dir = makeTempDir('procedure-cli');
afterAll(() => dir.remove());

async function cli(...argv: string[]) {
  const io = captureIo();
  const code = await runCli([...argv, '--data-dir', dir.path], io);
  return { code, stdout: io.stdout, stderr: io.stderr.join('\n') };
}

function answersFile(name: string, answers: unknown): string {
  const file = join(dir.path, name);
  writeFileSync(file, JSON.stringify(answers));
  return file;
}

describe('fieldbench procedure', () => {
  it('lists the procedures of the device profile', async () => {
    const { code, stdout } = await cli('procedure', 'list', '--virtual');
    expect(code).toBe(0);
    expect(stdout.join('\n')).toMatch(/bench-bring-up\s+Bench bring-up\s+7/);
    const json = await cli('procedure', 'list', '--virtual', '--json');
    expect(JSON.parse(json.stdout[0] ?? '{}').procedures.map((p: { id: string }) => p.id)).toEqual(['bench-bring-up', 'production-check', 'battery-brownout', 'firmware-self-test', 'bluetooth-link-check']);
  });

  it('runs a procedure with operator steps answered from a file: a JSON line per step, the result last, exit 0, saved to the case', async () => {
    const store = openCaseStore({ dataDir: dir.path });
    const caseId = store.cases.open({ title: 'Bench run', device: null, snapshot: null }).id;
    store.close();
    const answers = answersFile('answers.json', { 'status-led': { answer: 'pass', reason: 'blinks' }, 'idle-current': { answer: 'pass', value: 4.1 } });
    const { code, stdout, stderr } = await cli('procedure', 'run', '--virtual', '--procedure', 'bench-bring-up', '--answers', answers, '--case', caseId, '--operator', 'rack 2', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((l) => l.type === 'step').map((l) => [l.id, l.status])).toEqual([
      ['model', 'passed'],
      ['battery-voltage', 'passed'],
      ['temperature', 'passed'],
      ['reset-cause', 'passed'],
      ['status-led', 'passed'],
      ['idle-current', 'passed'],
      ['selftest', 'passed'],
    ]);
    expect(lines[5]).toMatchObject({ reading: { value: 4.1, unit: 'mA' }, limit: '0.5 to 15 mA', answer: { by: 'rack 2' } });
    expect(lines.at(-1)).toMatchObject({ type: 'result', state: 'passed', passed: 7, failed: 0, caseId, operator: 'rack 2' });

    const after = openCaseStore({ dataDir: dir.path });
    try {
      const event = after.cases.get(caseId).timeline.find((e) => e.kind === 'procedure');
      expect(event?.summary).toBe('Procedure Bench bring-up passed: 7 passed (by rack 2)');
    } finally {
      after.close();
    }
  });

  it('fails an operator step the file does not answer, says so, and exits 1', async () => {
    const answers = answersFile('partial.json', { 'status-led': { answer: 'pass' } });
    const { code, stdout } = await cli('procedure', 'run', '--virtual', '--procedure', 'bench-bring-up', '--answers', answers);
    expect(code).toBe(1);
    expect(stdout.join('\n')).toContain(`FAIL   6. Idle current: no answer for operator step idle-current in ${answers}`);
    expect(stdout.at(-1)).toMatch(/^Bench bring-up: FAILED \(6 passed, 1 failed, 0 skipped\); run [0-9a-f-]{36}$/);
  });

  it('refuses a wrong answers file or usage before running anything', async () => {
    const typo = answersFile('typo.json', { 'status-lde': { answer: 'pass' } });
    const unknownStep = await cli('procedure', 'run', '--virtual', '--procedure', 'bench-bring-up', '--answers', typo);
    expect(unknownStep.code).toBe(1);
    expect(unknownStep.stderr).toMatch(/answers step 'status-lde', which the procedure 'bench-bring-up' does not have/);
    const bad = answersFile('bad.json', { 'status-led': { answer: 'maybe' } });
    expect((await cli('procedure', 'run', '--virtual', '--procedure', 'bench-bring-up', '--answers', bad)).stderr).toMatch(/status-led\.answer/);
    expect((await cli('procedure', 'run', '--virtual')).code).toBe(2);
    expect((await cli('procedure', 'run', '--procedure', 'x')).stderr).toMatch(/--port PATH, --ble ADDRESS or --virtual/);
  });
});
