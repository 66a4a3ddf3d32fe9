// A CLI command's use of the core: create it, call the contract through the same dispatch
// the window and the browser use, and always close it (ports, virtual devices, the store).
import type { RequestChannel, RequestOf, ResponseOf } from '../api/contract';
import { FieldbenchError } from '../api/errors';
import { defaultProfilesDir } from '../core/profiles/profile-registry';
import type { Core } from '../core/core';
import { createCore } from '../core/create-core';
import type { Io } from './output';

export interface CoreSessionOptions {
  dataDir: string;
  io: Io;
  verbose: boolean;
  /** Keep watching the serial bus (serve); one-shot commands look once. */
  watch?: boolean;
  /** Commands that work on files only (image inspect) do not look at the serial bus at all. */
  noDevices?: boolean;
}

/** Scales a virtual USB board's modelled timing (bus and flash): 1 is a real board's pace, 0.1 ten times faster. */
export const VIRTUAL_TIME_SCALE_ENV = 'FIELDBENCH_VIRTUAL_TIME_SCALE';

export function virtualTimeScale(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[VIRTUAL_TIME_SCALE_ENV];
  if (text === undefined || text === '') return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale < 0 || scale > 100) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `${VIRTUAL_TIME_SCALE_ENV} is '${text}', not a number from 0 to 100`,
      step: 'start',
      hint: `Unset it for real timing, or set it to 0.1 for virtual boards ten times faster.`,
    });
  }
  return scale;
}

export async function openCore(options: CoreSessionOptions): Promise<Core> {
  return createCore({
    dataDir: options.dataDir,
    profilesDir: defaultProfilesDir(),
    virtualTimeScale: virtualTimeScale(),
    discoveryIntervalMs: options.noDevices ? -1 : options.watch ? 1000 : 0,
    log: (level, message) => {
      if (options.verbose || level !== 'info') options.io.err(`${level}: ${message}`);
    },
  });
}

export async function call<C extends RequestChannel>(core: Core, channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
  const envelope = await core.dispatch(channel, payload);
  if (!envelope.ok) throw new FieldbenchError(envelope.error);
  return envelope.value as ResponseOf<C>;
}

export async function withCore<T>(options: CoreSessionOptions, work: (core: Core) => Promise<T>): Promise<T> {
  const core = await openCore(options);
  try {
    return await work(core);
  } finally {
    await core.close();
  }
}
