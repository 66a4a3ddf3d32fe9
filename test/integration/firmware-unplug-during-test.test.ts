// A firmware job whose serial device leaves while the job switches images: detached the moment
// a step starts (the image test request right after the upload, the reset, the reconnect, the
// confirm), or its port vanishing so that discovery drops it from the list. Through the core,
// against the virtual sensor node on a real pseudo-terminal and the real serialport. The job
// must end on its own, well inside the profile's reboot timeout, failed, saying the device was
// unplugged, what was last known of its images and to plug it back in and flash again; and it
// must let the device go.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import { createCore } from '../../src-main/core/create-core';
import type { DiscoveryStatus, FirmwareJob, FirmwareJobOptions, FirmwareStep } from '../../src-main/api/schemas';
import { openSerialLink } from '../../src-main/transports/serial/serial-link';
import { attachSensorNodeOnPty, type SensorNodeOnPty } from '../../src-main/virtual/attach-sensor-node';
import { openPtyPair } from '../../src-main/virtual/pty-pair';
import { ok, PROFILES_DIR, startCore } from '../helpers/core-fixture';
import { readFixture } from '../helpers/firmware-fixtures';
import { makeTempDir } from '../helpers/temp-dir';
import { until } from '../helpers/until';

const RELEASE = 'app-2.0.0-ecdsa-p256.bin';
const release = { fileName: RELEASE, bytes: readFixture('mcuboot', RELEASE) };
/** The sensor node profile's rebootTimeoutMs: the longest a job may wait for a device to come back. */
const REBOOT_TIMEOUT_MS = 20_000;
/** Beyond the reboot timeout: the reset delay, and a loaded machine. */
const MARGIN_MS = 10_000;
const TEST_TIMEOUT_MS = 90_000;
/** The link's own close deadline is 3 s; a write must settle by then. */
const WRITE_SETTLE_DEADLINE_MS = 5_000;
const DISCOVERY_STATUS: DiscoveryStatus = { transport: 'serial', method: 'test', available: true, note: null };

let dir: ReturnType<typeof makeTempDir> | null = null;
let core: Core | null = null;
let node: SensorNodeOnPty | null = null;

afterEach(async () => {
  await core?.close();
  await node?.detach();
  dir?.remove();
  core = null;
  node = null;
  dir = null;
});

function options(confirm: FirmwareJobOptions['confirm']): FirmwareJobOptions {
  return { uploadOnly: false, allowDowngrade: false, confirm };
}

/**
 * Flash the release and call `unplug` once, synchronously, from the 'firmware.job' event that
 * says `step` started: before the job's next request reaches the port. Resolves with the job
 * as the core has it once finished, within the reboot timeout and its margin.
 */
async function flashUnpluggedAt(
  running: Core,
  deviceId: string,
  step: FirmwareStep,
  confirm: FirmwareJobOptions['confirm'],
  unplug: () => Promise<unknown>,
): Promise<FirmwareJob> {
  let unplugging: Promise<unknown> | null = null;
  let finished: FirmwareJob | null = null;
  const off = running.events.on('firmware.job', (job) => {
    if (job.deviceId !== deviceId) return;
    const now = job.steps.at(-1);
    if (unplugging === null && now?.step === step && now.status === 'started') unplugging = unplug();
    if (job.state === 'finished') finished = job;
  });
  try {
    const started = await ok(running, 'firmware.flash', {
      deviceId,
      fileName: release.fileName,
      contentBase64: Buffer.from(release.bytes).toString('base64'),
      options: options(confirm),
    });
    await until(`the job ended after the device was unplugged at ${step}`, () => finished, REBOOT_TIMEOUT_MS + MARGIN_MS, 50);
    expect(unplugging).not.toBeNull();
    await unplugging;
    return await ok(running, 'firmware.job', { jobId: started.id });
  } finally {
    off();
  }
}

/** What every unplugged job must say: failed at the step, the unplug, the last known slots, and what to do. */
function expectUnpluggedOutcome(job: FirmwareJob, failedStep: FirmwareStep, lastSeen: RegExp): void {
  expect(job).toMatchObject({ state: 'finished', outcome: 'failed', versionBefore: '1.4.2' });
  expect(job.reason).toMatch(new RegExp(`^${failedStep} failed: the device was unplugged; last seen, it `));
  expect(job.reason).toMatch(lastSeen);
  expect(job.reason).toMatch(/Plug it back in and flash again; unless the new image was confirmed, MCUboot keeps \(or goes back to\) 1\.4\.2\.$/);
  const failed = job.steps.filter((s) => s.status === 'failed');
  expect(failed.length).toBeGreaterThan(0);
  expect(failed.map((s) => s.step)).toContain(failedStep);
  expect(job.steps.some((s) => s.step === 'confirm' && s.status === 'done')).toBe(false);
}

describe('the serial link under a job', () => {
  it('fails a write sent while the port is closing as device-gone, rather than leaving it unsettled', async () => {
    const pty = await openPtyPair();
    try {
      const link = await openSerialLink(pty.hostPath, { baudRate: 115_200 });
      // The registry closes the link as the device is detached, and the job's next request is already on its way.
      const closing = link.close();
      const writes = Promise.allSettled([link.write(Uint8Array.of(0x0a)), link.write(Uint8Array.of(0x0a))]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the writes had not settled ${WRITE_SETTLE_DEADLINE_MS} ms after the close`)), WRITE_SETTLE_DEADLINE_MS);
      });
      const outcomes = await Promise.race([writes, deadline]).finally(() => clearTimeout(timer));
      await closing;
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect(outcome.status === 'rejected' && outcome.reason).toMatchObject({ code: 'device-gone', device: pty.hostPath });
      }
    } finally {
      await pty.close();
    }
  });
});

describe('a serial device detached while its firmware job switches images', () => {
  async function attached(): Promise<{ running: Core; deviceId: string }> {
    dir = makeTempDir('unplug-during-test');
    core = await startCore(dir.path);
    const device = await ok(core, 'devices.attachVirtual', {});
    return { running: core, deviceId: device.id };
  }

  it.each([
    { step: 'test', confirm: 'auto', failedStep: 'test', lastSeen: /runs 1\.4\.2 \(confirmed\); 2\.0\.0 in slot 1/ },
    { step: 'test', confirm: 'later', failedStep: 'test', lastSeen: /runs 1\.4\.2 \(confirmed\); 2\.0\.0 in slot 1/ },
    // The reset goes unanswered on a closed port, which a device that resets at once does too:
    // the job learns the device is gone when it reconnects.
    { step: 'reset', confirm: 'auto', failedStep: 'reconnect', lastSeen: /2\.0\.0 in slot 1/ },
    { step: 'reconnect', confirm: 'auto', failedStep: 'reconnect', lastSeen: /2\.0\.0 in slot 1/ },
    { step: 'confirm', confirm: 'auto', failedStep: 'confirm', lastSeen: /runs 2\.0\.0/ },
  ] as const)('detached as $step starts (confirm $confirm): the job ends failed, naming the unplug', async ({ step, confirm, failedStep, lastSeen }) => {
    const { running, deviceId } = await attached();
    const job = await flashUnpluggedAt(running, deviceId, step, confirm, () => running.dispatch('devices.detach', { deviceId }));

    expectUnpluggedOutcome(job, failedStep, lastSeen);
    expect((await ok(running, 'devices.list', {})).some((d) => d.id === deviceId)).toBe(false);
  }, TEST_TIMEOUT_MS);
});

describe("a serial port that vanishes while its firmware job switches images (discovery drops the device)", () => {
  it("the job ends failed at 'test', naming the unplug, and the port is let go", async () => {
    dir = makeTempDir('unplug-vanish');
    const stablePath = join(dir.path, 'node-port');
    node = await attachSensorNodeOnPty({ seed: 23, stablePath });
    // Discovery lists no ports of its own; a port added by hand leaves the list once it no longer exists.
    const running = await createCore({
      dataDir: dir.path,
      profilesDir: PROFILES_DIR,
      checkResponses: true,
      discoveryIntervalMs: 100,
      listSerialPorts: async () => ({ ports: [], status: DISCOVERY_STATUS }),
    });
    core = running;
    const device = await ok(running, 'devices.addPort', { path: node.hostPath });
    const pulled = node;
    const job = await flashUnpluggedAt(running, device.id, 'test', 'auto', () => pulled.detach());

    expectUnpluggedOutcome(job, 'test', /runs 1\.4\.2 \(confirmed\); 2\.0\.0 in slot 1/);
    expect((await ok(running, 'devices.list', {})).some((d) => d.id === device.id)).toBe(false);

    // Plugged back in at the same path, the port opens again: nothing kept it.
    node = await attachSensorNodeOnPty({ simulator: pulled.simulator, stablePath });
    const back = await ok(running, 'devices.addPort', { path: stablePath });
    expect(back.state).toBe('ready');
    expect((await ok(running, 'firmware.slots', { deviceId: back.id })).find((s) => s.active)?.version).toMatch(/^(1\.4\.2|2\.0\.0)/);
  }, TEST_TIMEOUT_MS);
});

describe('a port added by hand and detached while its firmware job reconnects', () => {
  it('the job ends failed at reconnect and leaves the port closed, so it can be added again at once', async () => {
    dir = makeTempDir('unplug-reconnect');
    node = await attachSensorNodeOnPty({ seed: 29, stablePath: join(dir.path, 'node-port') });
    const running = await startCore(dir.path);
    core = running;
    const device = await ok(running, 'devices.addPort', { path: node.hostPath });
    const job = await flashUnpluggedAt(running, device.id, 'reconnect', 'auto', () => running.dispatch('devices.detach', { deviceId: device.id }));

    expectUnpluggedOutcome(job, 'reconnect', /2\.0\.0 in slot 1/);
    // The port is still there (only the list let it go); a link left open would hold its lock.
    const again = await ok(running, 'devices.addPort', { path: node.hostPath });
    expect(again.state).toBe('ready');
  }, TEST_TIMEOUT_MS);
});
