// Telling a reboot from two uptime readings, counting the time between them.
import { describe, expect, it } from 'vitest';
import { describeRestart, restartedBetween, uptimeSeconds } from '../../src-main/core/procedures/uptime-restart';

describe('a restart between two uptime readings', () => {
  it('is seen when the uptime is lower than it would be had the device kept running, even if it went up', () => {
    // Read 45 ms after power-up, reset, read again 0.5 s later at 51 ms: it went up, yet it restarted.
    expect(restartedBetween({ seconds: 0.045, at: 1000 }, { seconds: 0.051, at: 1500 })).toBe(true);
    expect(restartedBetween({ seconds: 12.3, at: 0 }, { seconds: 0.2, at: 800 })).toBe(true);
  });

  it('is not seen for a device that kept running, read late or early by a little', () => {
    expect(restartedBetween({ seconds: 0.045, at: 1000 }, { seconds: 0.545, at: 1500 })).toBe(false);
    expect(restartedBetween({ seconds: 0.045, at: 1000 }, { seconds: 0.4, at: 1500 })).toBe(false);
    expect(restartedBetween({ seconds: 100, at: 0 }, { seconds: 160, at: 60_000 })).toBe(false);
  });

  it('allows whole-second uptimes (GATT) to lag by a second', () => {
    // 3.99 s floors to 3; 0.9 s later it is 4.89 s, and may still read 4, or 3 if the clocks straddle.
    expect(restartedBetween({ seconds: 3, at: 0 }, { seconds: 3, at: 900 })).toBe(false);
    expect(restartedBetween({ seconds: 3, at: 0 }, { seconds: 4, at: 1900 })).toBe(false);
    expect(restartedBetween({ seconds: 3, at: 0 }, { seconds: 0, at: 1000 })).toBe(true);
  });

  it('reads the uptime in seconds from its unit, and nothing from a value that is not a time', () => {
    expect(uptimeSeconds(1500, 'ms')).toBe(1.5);
    expect(uptimeSeconds(2, 'min')).toBe(120);
    expect(uptimeSeconds(7, null)).toBe(7);
    expect(uptimeSeconds(7, 'V')).toBeNull();
    expect(uptimeSeconds('7', 's')).toBeNull();
    expect(describeRestart({ seconds: 12.34567, at: 0 }, { seconds: 0.05, at: 1 })).toBe('uptime 12.35 s → 0.05 s');
  });
});
