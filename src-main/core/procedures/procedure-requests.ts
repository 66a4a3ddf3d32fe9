// The contract's procedures.* requests, over the runner. create-core builds the runner's
// device from its registries and hands these handlers to the dispatcher.
import { userInfo } from 'node:os';
import type { Handlers } from '../../api/dispatch';
import type { ProcedureRunner } from './procedure-runner';

type ProcedureHandlers = Pick<
  Handlers,
  'procedures.list' | 'procedures.start' | 'procedures.answer' | 'procedures.control' | 'procedures.get' | 'procedures.runs'
>;

export function procedureRequests(runner: ProcedureRunner): ProcedureHandlers {
  return {
    'procedures.list': async ({ deviceId }) => runner.list(deviceId),
    'procedures.start': async (request) => runner.start(request),
    'procedures.answer': async ({ runId, stepId, answer, reason, value, image }) =>
      runner.answer({
        runId,
        stepId,
        answer,
        reason,
        value,
        image: image ? { fileName: image.fileName, bytes: new Uint8Array(Buffer.from(image.contentBase64, 'base64')) } : undefined,
      }),
    'procedures.control': async ({ runId, action, reason, deviceId }) => runner.control(runId, action, reason, deviceId),
    'procedures.get': async ({ runId }) => runner.get(runId),
    'procedures.runs': async (filter) => runner.runs(filter),
  };
}

/** Who runs a procedure when the request does not say: the user logged in to this machine. */
export function osOperator(): string {
  try {
    return userInfo().username || 'unknown operator';
  } catch {
    return 'unknown operator'; // no passwd entry (a container's arbitrary uid)
  }
}
