import { fileURLToPath } from 'node:url';
import type { RequestChannel, RequestOf, ResponseOf } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { Core } from '../../src-main/core/core';
import { createCore } from '../../src-main/core/create-core';

export const PROFILES_DIR = fileURLToPath(new URL('../../device-profiles', import.meta.url));

/** A real core on a real data folder, with answers checked against the contract. */
export async function startCore(dataDir: string): Promise<Core> {
  return createCore({ dataDir, profilesDir: PROFILES_DIR, checkResponses: true, discoveryIntervalMs: 0 });
}

export async function ok<C extends RequestChannel>(core: Core, channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
  const envelope = await core.dispatch(channel, payload);
  if (!envelope.ok) throw new Error(`${channel} failed: ${JSON.stringify(envelope.error)}`);
  return envelope.value as ResponseOf<C>;
}

export async function fails(core: Core, channel: RequestChannel, payload: unknown): Promise<ApiErrorShape> {
  const envelope = await core.dispatch(channel, payload);
  if (envelope.ok) throw new Error(`${channel} should have failed but answered ${JSON.stringify(envelope.value)}`);
  return envelope.error;
}
