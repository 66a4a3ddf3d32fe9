// The sensor node's production-fault knobs, set as the API sets them (VirtualFaults, at attach
// or through setFaults): a board with a bad self-test part and one with a flat cell, so a tray
// of virtual units can hold faulty boards. The shell answers are read as the profile reads them.
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanups, sensorNodeInMemory } from '../helpers/sensor-node-shell';

const cleanups = new Cleanups();
afterEach(() => cleanups.runAll());

const PASSING = ['flash: PASS', 'sensor: PASS', 'radio: PASS', 'selftest: PASS'];

describe('sensor node fault knobs', () => {
  it('failingSelftestPart fails that part of the self-test until the knobs are cleared', async () => {
    const { shell, simulator } = await sensorNodeInMemory(cleanups, { faults: { failingSelftestPart: 'sensor' } });
    expect(await shell.run('selftest')).toEqual(['flash: PASS', 'sensor: FAIL', 'radio: PASS', 'selftest: FAIL']);
    // A knob, not a one-shot: a second self-test (a procedure's retry) fails the same way.
    expect((await shell.run('selftest')).at(-1)).toBe('selftest: FAIL');
    simulator.setFaults({});
    expect(await shell.run('selftest')).toEqual(PASSING);
  });

  it('the fault knob wins over the part the node was built with, and clearing it leaves that part', async () => {
    const { shell, simulator } = await sensorNodeInMemory(cleanups, { failingSelftestPart: 'radio' });
    simulator.setFaults({ failingSelftestPart: 'flash' });
    expect(await shell.run('selftest')).toEqual(['flash: FAIL', 'sensor: PASS', 'radio: PASS', 'selftest: FAIL']);
    simulator.setFaults({});
    expect(await shell.run('selftest')).toEqual(['flash: PASS', 'sensor: PASS', 'radio: FAIL', 'selftest: FAIL']);
  });

  it('batteryVolts puts a flat cell in: voltage and charge read low, and clearing it brings the built-in cell back', async () => {
    // A clock that stands still: no drain with uptime, so the readings are the cells' own.
    const { shell, simulator } = await sensorNodeInMemory(cleanups, { clock: () => 0, batteryVolts: 3.95, faults: { batteryVolts: 3.1 } });
    const [voltage, charge] = await shell.run('battery');
    expect(voltage).toBe('voltage: 3.10 V');
    expect(Number(/^charge: (\d+) %$/.exec(charge ?? '')?.[1])).toBeLessThan(5);
    simulator.setFaults({});
    expect((await shell.run('battery'))[0]).toBe('voltage: 3.95 V');
    simulator.setFaults({ batteryVolts: 4.2 });
    expect(await shell.run('battery')).toEqual(['voltage: 4.20 V', 'charge: 100 %']);
  });

  it('a faulty knob leaves the rest of the node as it was', async () => {
    const { shell } = await sensorNodeInMemory(cleanups, { seed: 3, faults: { failingSelftestPart: 'radio', batteryVolts: 3.1 } });
    expect(await shell.run('device info')).toEqual(expect.arrayContaining(['model: sensor-node', 'firmware: 1.4.2']));
    expect((await shell.run('sensor temp'))[0]).toMatch(/^temperature: 2\d\.\d\d C$/);
  });
});
