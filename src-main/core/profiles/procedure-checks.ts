// Checks a profile's test procedures one by one, after the rest of the profile has passed:
// each must fit the schema's $defs/procedure and make sense against the profile it sits in
// (the diagnostics it reads exist, its patterns compile, `when` looks back, a firmware step
// has an update method and its image file). A procedure that fails is left out with its
// problems; the others, and the profile, still load.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { captureGroupCount, tryCompilePattern } from './profile-patterns';
import type { DeviceProfile, ProcedureSpec, ProcedureStepSpec, StepLimits } from './profile-types';

export interface FieldProblem {
  field: string;
  message: string;
}

/** The diagnostic whose value starting again from zero shows that the device rebooted. */
export const UPTIME_DIAGNOSTIC_ID = 'uptime';

export function checkProcedures(
  raw: unknown,
  profile: DeviceProfile,
  profileDir: string,
  validate: (value: unknown, at: string) => FieldProblem[],
): { procedures: ProcedureSpec[]; problems: FieldProblem[] } {
  if (raw === undefined) return { procedures: [], problems: [] };
  if (!Array.isArray(raw)) return { procedures: [], problems: [{ field: '/procedures', message: 'must be an array of procedures' }] };
  const procedures: ProcedureSpec[] = [];
  const problems: FieldProblem[] = [];
  const firstIndexOfId = new Map<string, number>();
  raw.forEach((candidate: unknown, i) => {
    const at = `/procedures/${i}`;
    const schemaProblems = validate(candidate, at);
    if (schemaProblems.length > 0) {
      problems.push(...schemaProblems);
      return;
    }
    const procedure = candidate as ProcedureSpec;
    const first = firstIndexOfId.get(procedure.id);
    if (first !== undefined) {
      problems.push({ field: `${at}/id`, message: `the id '${procedure.id}' is already used by /procedures/${first}; this procedure is left out` });
      return;
    }
    const senseProblems = checkProcedureSense(procedure, profile, profileDir, at);
    if (senseProblems.length > 0) {
      problems.push(...senseProblems);
      return;
    }
    firstIndexOfId.set(procedure.id, i);
    procedures.push(procedure);
  });
  return { procedures, problems };
}

function checkProcedureSense(procedure: ProcedureSpec, profile: DeviceProfile, profileDir: string, at: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const indexOfStep = new Map<string, number>();
  procedure.steps.forEach((step, i) => {
    const stepAt = `${at}/steps/${i}`;
    const earlier = indexOfStep.get(step.id);
    if (earlier !== undefined) problems.push({ field: `${stepAt}/id`, message: `the id '${step.id}' is already used by step ${earlier + 1}` });
    if (step.when) {
      const target = indexOfStep.get(step.when.step);
      if (target === undefined) {
        const later = procedure.steps.findIndex((other) => other.id === step.when?.step);
        const message =
          later >= i ? `'${step.when.step}' comes later; a step can only depend on an earlier one` : `no earlier step has the id '${step.when.step}'`;
        problems.push({ field: `${stepAt}/when/step`, message });
      }
    }
    if (step.retries !== undefined && step.kind !== 'check' && step.kind !== 'wait') {
      problems.push({ field: `${stepAt}/retries`, message: `retries apply to automated steps (check, wait), not to a '${step.kind}' step` });
    }
    problems.push(...checkStep(step, profile, profileDir, stepAt));
    if (earlier === undefined) indexOfStep.set(step.id, i);
  });
  return problems;
}

function checkStep(step: ProcedureStepSpec, profile: DeviceProfile, profileDir: string, at: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  switch (step.kind) {
    case 'check': {
      if ((step.diagnostic === undefined) === (step.command === undefined)) {
        problems.push({ field: at, message: 'a check reads either a diagnostic or a command: give exactly one of them' });
      }
      if (step.diagnostic !== undefined && !hasDiagnostic(profile, step.diagnostic)) {
        problems.push({ field: `${at}/diagnostic`, message: `no diagnostic (serial or BLE) has the id '${step.diagnostic}'` });
      }
      if (step.command !== undefined && !profile.shell) {
        problems.push({ field: `${at}/command`, message: 'a command runs over the serial shell, and this profile has none' });
      }
      if (step.command !== undefined && step.pattern === undefined) {
        problems.push({ field: `${at}/pattern`, message: 'a command check needs a pattern saying which answer line is the reading' });
      }
      if (step.pattern !== undefined) {
        if (step.command === undefined) problems.push({ field: `${at}/pattern`, message: 'a pattern goes with a command; a diagnostic has its own' });
        else problems.push(...checkPattern(`${at}/pattern`, step.pattern, 1));
      }
      if (step.limits === undefined && step.diagnostic === undefined) {
        problems.push({ field: `${at}/limits`, message: 'a command check needs limits to judge its reading against' });
      }
      if (step.limits) problems.push(...checkLimits(`${at}/limits`, step.limits));
      break;
    }
    case 'measurement':
      problems.push(...checkLimits(`${at}/limits`, step.limits));
      break;
    case 'wait':
      if (step.for === 'log-line' && step.pattern === undefined) {
        problems.push({ field: `${at}/pattern`, message: 'a wait for a log line needs the pattern the line must match' });
      }
      if (step.pattern !== undefined) {
        if (step.for !== 'log-line') problems.push({ field: `${at}/pattern`, message: `a pattern is for a wait for a log line, not for '${step.for}'` });
        else problems.push(...checkPattern(`${at}/pattern`, step.pattern, Infinity));
      }
      if (step.for === 'log-line' && !profile.shell && profile.ble?.logService === undefined) {
        problems.push({ field: `${at}/for`, message: 'the device has no log to watch: it needs a serial shell or ble.logService' });
      }
      if (step.reset !== undefined && step.for !== 'reboot') {
        problems.push({ field: `${at}/reset`, message: `reset goes with a wait for a reboot, not for '${step.for}'` });
      }
      if (step.reset === 'smp' && profile.firmware?.method !== 'mcumgr-serial' && !profile.ble?.smp) {
        problems.push({ field: `${at}/reset`, message: 'a reset over SMP needs MCUmgr: firmware method mcumgr-serial or ble.smp' });
      }
      if (step.for === 'reboot' && !hasDiagnostic(profile, UPTIME_DIAGNOSTIC_ID)) {
        problems.push({ field: `${at}/for`, message: `a reboot is seen as the uptime starting again: add a diagnostic with the id '${UPTIME_DIAGNOSTIC_ID}'` });
      }
      break;
    case 'firmware':
      if (profile.firmware?.method !== 'mcumgr-serial' && !profile.ble?.smp) {
        problems.push({ field: `${at}/version`, message: 'ensuring a version needs a firmware update method: firmware method mcumgr-serial or ble.smp' });
      }
      if (step.image !== undefined && !existsSync(resolve(profileDir, step.image))) {
        problems.push({ field: `${at}/image`, message: `${step.image}: the image file does not exist (the path is relative to the profile)` });
      }
      break;
    case 'instruction':
      break;
  }
  return problems;
}

function hasDiagnostic(profile: DeviceProfile, id: string): boolean {
  return profile.diagnostics.some((spec) => spec.id === id) || (profile.ble?.diagnostics.some((spec) => spec.id === id) ?? false);
}

function checkPattern(field: string, source: string, maxGroups: number): FieldProblem[] {
  const compiled = tryCompilePattern(source);
  if (!compiled.ok) return [{ field, message: `not a valid regex: ${compiled.reason}` }];
  const groups = captureGroupCount(compiled.regex);
  if (groups > maxGroups) return [{ field, message: `has ${groups} capture groups; at most ${maxGroups}, around the reading (write others as (?:...))` }];
  return [];
}

function checkLimits(at: string, limits: StepLimits): FieldProblem[] {
  if ('regex' in limits) return checkPattern(`${at}/regex`, limits.regex, Infinity);
  if ('min' in limits || 'max' in limits) {
    const { min, max } = limits as { min?: number; max?: number };
    if (min !== undefined && max !== undefined && min > max) return [{ field: at, message: `min ${min} is above max ${max}` }];
  }
  return [];
}
