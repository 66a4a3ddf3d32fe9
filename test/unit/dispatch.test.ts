import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { createDispatcher, type Handlers } from '../../src-main/api/dispatch';
import { FieldbenchError } from '../../src-main/api/errors';
import { requestChannels, requests } from '../../src-main/api/contract';

const CASE_ID = '6f1c1d2e-7a3b-4c5d-9e8f-0a1b2c3d4e5f';

/** Handlers that fail the test if reached: validation must stop bad payloads first. */
function unreachableHandlers(): Handlers {
  const handler = vi.fn(async () => {
    throw new Error('handler must not be called');
  });
  return Object.fromEntries(requestChannels.map((c) => [c, handler])) as unknown as Handlers;
}

describe('dispatch', () => {
  it('refuses a channel that is not in the contract, without calling anything', async () => {
    const dispatch = createDispatcher(unreachableHandlers());
    for (const channel of ['nope', '__proto__', 'constructor', 42, null, undefined, 'devices.list.extra']) {
      const envelope = await dispatch(channel, {});
      expect(envelope.ok).toBe(false);
      if (!envelope.ok) expect(envelope.error.code).toBe('unknown-channel');
    }
  });

  it('refuses invalid payloads with field-level issues', async () => {
    const dispatch = createDispatcher(unreachableHandlers());
    const envelope = await dispatch('cases.saveNote', { caseId: 'not-a-uuid', noteId: CASE_ID, text: 7 });
    expect(envelope.ok).toBe(false);
    if (envelope.ok) return;
    expect(envelope.error.code).toBe('invalid-request');
    expect(envelope.error.issues?.map((i) => i.path).sort()).toEqual(['caseId', 'text']);
    expect(envelope.error.message).toContain('cases.saveNote');
  });

  it('refuses unknown fields (strict schemas), so a typo never passes silently', async () => {
    const dispatch = createDispatcher(unreachableHandlers());
    const envelope = await dispatch('devices.list', { sneaky: true });
    expect(envelope.ok).toBe(false);
  });

  it('never throws and never reaches a handler for arbitrary payloads that fail their schema', async () => {
    const dispatch = createDispatcher(unreachableHandlers());
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...requestChannels), fc.anything(), async (channel, payload) => {
        const envelope = await dispatch(channel, payload);
        const valid = requests[channel].request.safeParse(payload ?? {}).success;
        if (!valid) expect(envelope.ok).toBe(false);
        if (!envelope.ok && !valid) expect(envelope.error.code).toBe('invalid-request');
      }),
      { numRuns: 300 },
    );
  });

  it('passes parsed payloads to the handler and wraps the answer', async () => {
    const handlers = unreachableHandlers();
    handlers['cases.list'] = vi.fn(async () => []);
    const dispatch = createDispatcher(handlers, { checkResponses: true });
    const envelope = await dispatch('cases.list', { status: 'open' });
    expect(envelope).toEqual({ ok: true, value: [] });
    expect(handlers['cases.list']).toHaveBeenCalledWith({ status: 'open' });
  });

  it('keeps a FieldbenchError whole, and turns any other throw into an internal error that is reported', async () => {
    const handlers = unreachableHandlers();
    handlers['devices.list'] = async () => {
      throw new FieldbenchError({ code: 'timeout', message: 'no prompt', device: '/dev/ttyACM0', step: 'list', hint: 'check it' });
    };
    handlers['profiles.list'] = async () => {
      throw new TypeError('boom');
    };
    const onInternalError = vi.fn();
    const dispatch = createDispatcher(handlers, { onInternalError });
    expect(await dispatch('devices.list', {})).toEqual({
      ok: false,
      error: { code: 'timeout', message: 'no prompt', device: '/dev/ttyACM0', step: 'list', hint: 'check it' },
    });
    const internal = await dispatch('profiles.list', {});
    expect(internal.ok).toBe(false);
    if (!internal.ok) expect(internal.error.code).toBe('internal');
    expect(onInternalError).toHaveBeenCalledTimes(1);
  });

  it('with checkResponses, an answer outside the schema is a reported bug, not passed on', async () => {
    const handlers = unreachableHandlers();
    handlers['devices.list'] = async () => [{ id: 'x' }] as never;
    const onInternalError = vi.fn();
    const dispatch = createDispatcher(handlers, { checkResponses: true, onInternalError });
    const envelope = await dispatch('devices.list', {});
    expect(envelope.ok).toBe(false);
    expect(onInternalError).toHaveBeenCalled();
  });
});
