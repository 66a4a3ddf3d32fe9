import { describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../src-main/core/event-bus';

describe('EventBus', () => {
  it('delivers to every listener until it unsubscribes', () => {
    const bus = new EventBus();
    const a = vi.fn();
    const b = vi.fn();
    const offA = bus.on('devices.changed', a);
    bus.on('devices.changed', b);
    bus.emit('devices.changed', []);
    offA();
    bus.emit('devices.changed', []);
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(2);
  });

  it('refuses to send a payload outside the contract', () => {
    const bus = new EventBus();
    expect(() => bus.emit('cases.changed', { caseId: 'not-a-uuid' })).toThrow();
  });

  it('keeps delivering when one listener throws, and reports it', () => {
    const onError = vi.fn();
    const bus = new EventBus(onError);
    const after = vi.fn();
    bus.on('devices.changed', () => {
      throw new Error('closed socket');
    });
    bus.on('devices.changed', after);
    bus.emit('devices.changed', []);
    expect(after).toHaveBeenCalled();
    expect(onError).toHaveBeenCalledWith('devices.changed', expect.any(Error));
  });
});
