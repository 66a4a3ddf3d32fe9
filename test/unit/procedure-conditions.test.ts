// A step's `when`: it runs only when the earlier step it names ended as asked.
import { describe, expect, it } from 'vitest';
import type { ProcedureStepStatus } from '../../src-main/api/schemas';
import { decide, describeCondition, resultOf } from '../../src-main/core/procedures/step-conditions';

const statuses = (map: Record<string, ProcedureStepStatus>) => (id: string) => map[id];

describe('step dependencies', () => {
  it('run a step with no condition', () => {
    expect(decide(undefined, statuses({}))).toEqual({ run: true });
  });

  it('run the step only for the result asked, and say why not otherwise', () => {
    const when = { step: 'battery', is: 'fail' } as const;
    expect(decide(when, statuses({ battery: 'failed' }))).toEqual({ run: true });
    expect(decide(when, statuses({ battery: 'passed' }))).toEqual({ run: false, reason: "runs only when 'battery' failed, and it passed" });
    expect(decide(when, statuses({ battery: 'skipped' }))).toEqual({ run: false, reason: "runs only when 'battery' failed, and it was skipped" });
    expect(decide({ step: 'battery', is: 'skipped' }, statuses({ battery: 'skipped' }))).toEqual({ run: true });
    expect(decide({ step: 'battery', is: 'pass' }, statuses({ battery: 'passed' }))).toEqual({ run: true });
  });

  it('never run on a step that has not ended', () => {
    for (const status of ['pending', 'running', 'waiting'] as const) {
      expect(resultOf(status)).toBeNull();
      expect(decide({ step: 'a', is: 'pass' }, statuses({ a: status }))).toEqual({ run: false, reason: "runs only when 'a' passed, and it has not ended" });
    }
    expect(decide({ step: 'unknown', is: 'pass' }, statuses({})).run).toBe(false);
  });

  it('are said in words', () => {
    expect(describeCondition({ step: 'battery-voltage', is: 'fail' })).toBe("only when 'battery-voltage' failed");
    expect(describeCondition(undefined)).toBeNull();
  });
});
