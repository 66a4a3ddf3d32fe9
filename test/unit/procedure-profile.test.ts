// Procedures in device profiles: checked at load like the rest of a profile, but one at a
// time, so a broken procedure is a problem with its field path and the profile still loads.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProfileProblem } from '../../src-main/api/schemas';
import { defaultProfilesDir, loadProfiles, ProfileRegistry } from '../../src-main/core/profiles/profile-registry';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- profiles are edited as loose JSON here
type LooseJson = Record<string, any>;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldbench-procedure-profiles-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sensorNode(): Promise<LooseJson> {
  return JSON.parse(await readFile(join(defaultProfilesDir(), 'sensor-node.json'), 'utf8')) as LooseJson;
}

const goodProcedure = {
  id: 'good',
  name: 'Good',
  steps: [
    { kind: 'check', id: 'volts', title: 'Volts', diagnostic: 'battery-voltage', limits: { min: 3.3 } },
    { kind: 'instruction', id: 'look', title: 'Look', instructions: 'Look at it.', when: { step: 'volts', is: 'fail' } },
  ],
};

/** Loads the sensor node with these procedures; answers what loaded and the problems, each checked against the contract. */
async function loadWith(procedures: unknown) {
  const profile = await sensorNode();
  profile.procedures = procedures;
  await writeFile(join(dir, 'node.json'), JSON.stringify(profile, null, 2));
  const result = await loadProfiles(dir);
  for (const problem of result.problems) expect(ProfileProblem.parse(problem)).toEqual(problem);
  expect(result.profiles.map((p) => p.profile.id)).toEqual(['fieldbench-sensor-node']);
  return { procedures: result.profiles[0]?.profile.procedures?.map((p) => p.id) ?? [], problems: result.problems.map(({ field, message }) => ({ field, message })) };
}

describe('procedures in the shipped sensor-node profile', () => {
  it('all load, with no problems', async () => {
    const registry = await ProfileRegistry.load(defaultProfilesDir());
    expect(registry.problems).toEqual([]);
    expect(registry.get('fieldbench-sensor-node')?.procedures?.map((p) => p.id)).toEqual(['bench-bring-up', 'production-check', 'battery-brownout', 'firmware-self-test', 'bluetooth-link-check']);
    const kinds = new Set(registry.get('fieldbench-sensor-node')?.procedures?.flatMap((p) => p.steps.map((s) => s.kind)));
    expect([...kinds].sort()).toEqual(['check', 'firmware', 'instruction', 'measurement', 'wait']);
  });
});

describe('a broken procedure', () => {
  it('is left out with its field path; the good ones and the profile still load', async () => {
    const broken = { id: 'broken', name: 'Broken', steps: [{ kind: 'check', id: 'x', title: 'X', diagnostic: 'battery-voltage', limits: { min: 'low' } }] };
    const result = await loadWith([goodProcedure, broken]);
    expect(result.procedures).toEqual(['good']);
    expect(result.problems).toContainEqual({ field: '/procedures/1/steps/0/limits/min', message: 'must be number' });
  });

  it('names an unknown step kind and a misspelt field', async () => {
    const result = await loadWith([
      { id: 'a', name: 'A', steps: [{ kind: 'prayer', id: 'x', title: 'X' }] },
      { id: 'b', name: 'B', steps: [{ kind: 'instruction', id: 'x', title: 'X', instruction: 'typo' }] },
    ]);
    expect(result.procedures).toEqual([]);
    expect(result.problems).toContainEqual({ field: '/procedures/0/steps/0/kind', message: 'must be one of "check", "instruction", "measurement", "wait", "firmware"' });
    expect(result.problems).toContainEqual({ field: '/procedures/1/steps/0/instruction', message: "unknown field 'instruction' (did you mean 'instructions'?)" });
  });

  it('says what does not make sense: ids, dependencies, diagnostics, patterns, limits and waits', async () => {
    const check = (extra: LooseJson) => ({ kind: 'check', id: 'c', title: 'C', ...extra });
    const cases: [unknown[], string, RegExp][] = [
      [[check({ diagnostic: 'volts', limits: { min: 1 } })], '/procedures/0/steps/0/diagnostic', /no diagnostic .* 'volts'/],
      [[check({ diagnostic: 'uptime', command: 'kernel uptime', pattern: 'x', limits: { min: 1 } })], '/procedures/0/steps/0', /exactly one/],
      [[check({ command: 'battery', limits: { min: 1 } })], '/procedures/0/steps/0/pattern', /needs a pattern/],
      [[check({ command: 'battery', pattern: '(a)(b)', limits: { min: 1 } })], '/procedures/0/steps/0/pattern', /2 capture groups/],
      [[check({ command: 'battery', pattern: '(', limits: { min: 1 } })], '/procedures/0/steps/0/pattern', /not a valid regex/],
      [[check({ command: 'battery', pattern: 'v: (\\S+)' })], '/procedures/0/steps/0/limits', /needs limits/],
      [[check({ diagnostic: 'uptime', limits: { min: 5, max: 1 } })], '/procedures/0/steps/0/limits', /min 5 is above max 1/],
      [[check({ diagnostic: 'uptime', limits: { regex: '[' } })], '/procedures/0/steps/0/limits/regex', /not a valid regex/],
      [[check({ diagnostic: 'uptime' }), check({ diagnostic: 'uptime' })], '/procedures/0/steps/1/id', /already used by step 1/],
      [[check({ diagnostic: 'uptime', when: { step: 'later', is: 'pass' } }), { ...check({ diagnostic: 'uptime' }), id: 'later' }], '/procedures/0/steps/0/when/step', /comes later/],
      [[check({ diagnostic: 'uptime', when: { step: 'nowhere', is: 'pass' } })], '/procedures/0/steps/0/when/step', /no earlier step/],
      [[{ kind: 'instruction', id: 'i', title: 'I', instructions: 'Do.', retries: 2 }], '/procedures/0/steps/0/retries', /automated steps/],
      [[{ kind: 'wait', id: 'w', title: 'W', for: 'log-line', timeoutMs: 1000 }], '/procedures/0/steps/0/pattern', /needs the pattern/],
      [[{ kind: 'wait', id: 'w', title: 'W', for: 'button', timeoutMs: 1000, reset: 'smp' }], '/procedures/0/steps/0/reset', /goes with a wait for a reboot/],
      [[{ kind: 'firmware', id: 'f', title: 'F', version: '1.5.0', image: 'images/missing.bin' }], '/procedures/0/steps/0/image', /does not exist/],
    ];
    for (const [steps, field, message] of cases) {
      const result = await loadWith([{ id: 'p', name: 'P', steps }]);
      expect(result.procedures, JSON.stringify(steps)).toEqual([]);
      const problem = result.problems.find((p) => p.field === field);
      expect(problem?.message, `${field} in ${JSON.stringify(result.problems)}`).toMatch(message);
    }
  });

  it('a wait needs a deadline, and procedure ids are unique', async () => {
    const result = await loadWith([
      { id: 'w', name: 'W', steps: [{ kind: 'wait', id: 'w', title: 'W', for: 'reboot' }] },
      goodProcedure,
      { ...goodProcedure, name: 'Again' },
    ]);
    expect(result.procedures).toEqual(['good']);
    expect(result.problems).toContainEqual({ field: '/procedures/0/steps/0/timeoutMs', message: "missing required field 'timeoutMs'" });
    expect(result.problems).toContainEqual({ field: '/procedures/2/id', message: "the id 'good' is already used by /procedures/1; this procedure is left out" });
  });

  it('procedures that are not a list are one problem, and the profile loads without them', async () => {
    const result = await loadWith({ id: 'not-a-list' });
    expect(result).toEqual({ procedures: [], problems: [{ field: '/procedures', message: 'must be an array of procedures' }] });
  });
});
