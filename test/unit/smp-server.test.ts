// The virtual node's SMP server over an in-memory link: the exact wire forms with raw
// packets, and whole update flows with the real SmpClient, the shell alongside.
import { afterEach, describe, expect, it } from 'vitest';
import { ImageCommand, MgmtErr, OsCommand, SmpGroup } from '../../src-main/protocols/smp/smp-groups';
import { encodeCbor } from '../../src-main/protocols/cbor/cbor';
import { SMP_HEADER_SIZE, SmpOp, decodeSmpPacket, encodeSmpPacket } from '../../src-main/protocols/smp/smp-packet';
import { SmpSerialDecoder, encodeSmpSerialFrames } from '../../src-main/protocols/smp/smp-serial';
import { SmpClient, SmpDeviceError } from '../../src-main/protocols/smp/smp-client';
import { ShellClient } from '../../src-main/protocols/shell/shell-client';
import type { Link } from '../../src-main/transports/link';
import { attachSensorNodeInMemory } from '../../src-main/virtual/attach-sensor-node';
import { BOOT_BANNER, type SensorNodeOptions, type SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { Cleanups, sensorNodeShell } from '../helpers/sensor-node-shell';
import { bodyOf, drain, rawExchange, testImage, waitForText } from '../helpers/smp-node';

const cleanups = new Cleanups();
afterEach(() => cleanups.runAll());

interface Node {
  link: Link;
  simulator: SensorNodeSimulator;
  smp: SmpClient;
  shell: ShellClient;
}

function attach(options: SensorNodeOptions & { simulator?: SensorNodeSimulator } = {}): Node {
  const attached = attachSensorNodeInMemory({ seed: 11, timeScale: 0, ...options });
  cleanups.add(() => attached.detach());
  const link = attached.hostLink;
  return {
    link,
    simulator: attached.simulator,
    smp: new SmpClient(link, { timeoutMs: 1_000, retries: 1 }),
    shell: new ShellClient(link, sensorNodeShell),
  };
}

/** The banner and the prompt after it: the application is up and the line is quiet again. */
async function booted(link: Link): Promise<void> {
  const text = await waitForText(link, /uart:~\$ /, 5_000);
  expect(text).toContain(BOOT_BANNER);
}

/** The client's upload plus what the device keeps about it. */
async function uploadImage(node: Node, version: string) {
  const { image, sha256 } = testImage(version);
  const result = await node.smp.imageUpload(image, { sha256 });
  return { image, sha256, result };
}

describe('SMP server: OS group', () => {
  it('answers echo, parameters, info, bootloader info, task and memory statistics', async () => {
    const { smp } = attach();
    expect(await smp.echo('hello')).toBe('hello');
    expect(await smp.params()).toEqual({ bufSize: 1024, bufCount: 4 });
    expect(await smp.osInfo()).toBe('Zephyr');
    expect(await smp.osInfo('sr')).toBe('Zephyr 3.7.0');
    expect((await smp.osInfo('a')).split(' ')).toContain('cortex-m4');
    await expect(smp.osInfo('z')).rejects.toThrow(/format/);
    expect(await smp.bootloaderInfo()).toEqual({ bootloader: 'MCUboot' });
    expect(await smp.bootloaderInfo('mode')).toMatchObject({ mode: 3, noDowngrade: false });
    const tasks = await smp.taskStats();
    expect(tasks.map((t) => t.name)).toEqual(expect.arrayContaining(['idle', 'main', 'shell_uart']));
    expect((await smp.memoryPoolStats())[0]).toMatchObject({ name: 'heap', blockSize: 16 });
  });

  it('keeps the request version and sequence, answers READ_RSP/WRITE_RSP, and refuses unknown groups and commands', async () => {
    const { link } = attach();
    const read = await rawExchange(link, { version: 1, op: 'read', group: SmpGroup.OS, command: OsCommand.MCUMGR_PARAMS, sequence: 42 });
    expect(read.header).toMatchObject({ version: 1, op: SmpOp.READ_RSP, sequence: 42, group: SmpGroup.OS, command: OsCommand.MCUMGR_PARAMS });
    const write = await rawExchange(link, { version: 2, op: 'write', group: SmpGroup.OS, command: OsCommand.ECHO, sequence: 200, body: { d: 'x' } });
    expect(write.header).toMatchObject({ version: 2, op: SmpOp.WRITE_RSP, sequence: 200 });
    for (const version of [1, 2] as const) {
      expect(bodyOf(await rawExchange(link, { version, op: 'read', group: 77, command: 0 }))).toEqual({ rc: MgmtErr.ENOTSUP });
      expect(bodyOf(await rawExchange(link, { version, op: 'read', group: SmpGroup.OS, command: 99 }))).toEqual({ rc: MgmtErr.ENOTSUP });
    }
  });

  it('answers a request larger than its buffer with EMSGSIZE', async () => {
    const { link } = attach();
    const answer = await rawExchange(link, { op: 'write', group: SmpGroup.OS, command: OsCommand.ECHO, body: { d: 'x'.repeat(1100) } });
    expect(bodyOf(answer)).toEqual({ rc: MgmtErr.EMSGSIZE });
  });

  it('takes a request as large as its buffer holds with the serial length field and CRC, and refuses one byte more', async () => {
    const { link } = attach({ smpBufSize: 512 });
    // An echo whose whole packet is `packet` bytes: header, the map head, "d", the text head and the text.
    const echoOf = (packet: number) => 'x'.repeat(packet - SMP_HEADER_SIZE - encodeCbor({ d: '' }).length - 2);
    expect(SMP_HEADER_SIZE + encodeCbor({ d: echoOf(508) }).length).toBe(508);
    const fits = await rawExchange(link, { op: 'write', group: SmpGroup.OS, command: OsCommand.ECHO, body: { d: echoOf(508) } });
    expect(bodyOf(fits)).toEqual({ r: echoOf(508) });
    const over = await rawExchange(link, { op: 'write', group: SmpGroup.OS, command: OsCommand.ECHO, body: { d: echoOf(509) } });
    expect(bodyOf(over)).toEqual({ rc: MgmtErr.EMSGSIZE });
  });

  it('group errors: version 2 as err {group, rc}, version 1 as a shared rc with a reason', async () => {
    const { link } = attach();
    const body = { hash: new Uint8Array(32).fill(9), confirm: false };
    const v2 = await rawExchange(link, { version: 2, op: 'write', group: SmpGroup.IMAGE, command: ImageCommand.STATE, body });
    expect(bodyOf(v2)).toEqual({ err: { group: SmpGroup.IMAGE, rc: 8 } });
    const v1 = bodyOf(await rawExchange(link, { version: 1, op: 'write', group: SmpGroup.IMAGE, command: ImageCommand.STATE, body }));
    expect(v1).toMatchObject({ rc: MgmtErr.EINVAL, rsn: expect.stringMatching(/no slot holds/) });
  });

  it('reset answers first, then reboots: the banner prints and the shell comes back', async () => {
    const node = attach();
    await booted(node.link);
    await node.smp.reset();
    await booted(node.link);
    expect(await node.shell.run('hwinfo reset_cause')).toEqual(['reset cause: software']);
  });

  it('lists and reads statistics that move with the traffic', async () => {
    const { smp } = attach();
    expect(await smp.statsList()).toEqual(['smp', 'flash']);
    const before = (await smp.statsRead('smp')).fields['rx_packets'] ?? 0;
    await smp.echo('a');
    expect((await smp.statsRead('smp')).fields['rx_packets']).toBe(before + 2);
    await expect(smp.statsRead('nope')).rejects.toBeInstanceOf(SmpDeviceError);
  });
});

describe('SMP server: image group', () => {
  it('shows the factory image, then takes an upload, test, reset and confirm; the shell sees the new version', async () => {
    const node = attach();
    const [factory] = await node.smp.imageState();
    expect(factory).toMatchObject({ slot: 0, version: '1.4.2', active: true, confirmed: true, bootable: true });

    const { result, sha256 } = await uploadImage(node, '1.5.0');
    expect(result.match).toBe(true);
    const uploaded = await node.smp.imageState();
    expect(uploaded[1]).toMatchObject({ slot: 1, version: '1.5.0', pending: false, bootable: true });
    const hash = uploaded[1]?.hash ?? '';
    expect(hash).toBe(Buffer.from(node.simulator.slots.image(1)?.hashes[0]?.expected ?? []).toString('hex'));
    expect(sha256.length).toBe(32);

    expect((await node.smp.imageTest(hash))[1]).toMatchObject({ pending: true, permanent: false });
    await node.smp.reset();
    await booted(node.link);
    const after = await node.smp.imageState();
    expect(after[0]).toMatchObject({ version: '1.5.0', active: true, confirmed: false });
    expect(after[1]).toMatchObject({ version: '1.4.2', confirmed: true });
    expect(await node.shell.run('device info')).toContain('firmware: 1.5.0');

    expect((await node.smp.imageConfirm())[0]).toMatchObject({ version: '1.5.0', confirmed: true });
    await node.smp.reset();
    await booted(node.link);
    expect((await node.smp.imageState())[0]).toMatchObject({ version: '1.5.0', confirmed: true });
  });

  it('an unconfirmed image reverts at the next reset', async () => {
    const node = attach();
    await uploadImage(node, '1.5.0');
    await node.smp.imageTest((await node.smp.imageState())[1]?.hash ?? '');
    await node.smp.reset();
    await booted(node.link);
    expect(node.simulator.firmwareVersion).toBe('1.5.0');
    await node.smp.reset();
    await booted(node.link);
    expect(node.simulator.lastBoot?.action).toBe('revert');
    expect((await node.smp.imageState())[0]).toMatchObject({ version: '1.4.2', confirmed: true });
  });

  it('answers a chunk at the wrong offset with the offset it expects, and refuses overruns and oversize images', async () => {
    const { link } = attach();
    const { image, sha256 } = testImage('1.5.0');
    const upload = (body: Record<string, unknown>) =>
      rawExchange(link, { op: 'write', group: SmpGroup.IMAGE, command: ImageCommand.UPLOAD, body: body as never }).then(bodyOf);
    expect(await upload({ off: 0, len: image.length, sha: sha256, data: image.subarray(0, 400) })).toEqual({ off: 400 });
    expect(await upload({ off: 1000, data: image.subarray(1000, 1400) })).toEqual({ off: 400 });
    expect(await upload({ off: 400, data: image.subarray(400, 800) })).toEqual({ off: 800 });
    expect(await upload({ off: 0, len: 500, data: image.subarray(0, 400) })).toEqual({ off: 400 });
    expect(await upload({ off: 400, data: image.subarray(400, 600) })).toEqual({ err: { group: SmpGroup.IMAGE, rc: 31 } });
    expect(await upload({ off: 0, len: 0x60000, data: image.subarray(0, 100) })).toEqual({ err: { group: SmpGroup.IMAGE, rc: 30 } });
    expect(await upload({ off: 0, len: 100, data: new Uint8Array(100) })).toEqual({ err: { group: SmpGroup.IMAGE, rc: 23 } });
    expect(await upload({ off: 0, data: image.subarray(0, 10) })).toEqual({ err: { group: SmpGroup.IMAGE, rc: 21 } });
  });

  it('resumes an interrupted upload with the same sha, even across an unplug', async () => {
    const node = attach();
    const { image, sha256 } = testImage('1.5.0');
    // The cable comes out partway through the upload.
    node.simulator.setFaults({ dropAtReceivedBytes: 12_000 });
    await expect(node.smp.imageUpload(image, { sha256 })).rejects.toMatchObject({ code: 'device-gone' });
    const kept = node.simulator.smp.images.uploadProgress;
    expect(kept?.offset).toBeGreaterThan(0);

    const again = attach({ simulator: node.simulator });
    const result = await again.smp.imageUpload(image, { sha256 });
    expect(result.match).toBe(true);
    // The first request is answered with the kept offset; what was kept is not sent again.
    const fullRequests = Math.ceil(image.length / result.chunkSize);
    expect(result.requests).toBeLessThan(fullRequests);
  });

  it('refuses an upload while an image is pending, and an erase while the secondary is in use', async () => {
    const node = attach();
    await uploadImage(node, '1.5.0');
    await node.smp.imageTest((await node.smp.imageState())[1]?.hash ?? '');
    const { image, sha256 } = testImage('1.6.0');
    await expect(node.smp.imageUpload(image, { sha256 })).rejects.toThrow(/no free slot/);
    await expect(node.smp.imageErase()).rejects.toThrow(/no free slot/);
  });

  it('erases the secondary slot', async () => {
    const node = attach();
    await uploadImage(node, '1.5.0');
    await node.smp.imageErase();
    expect(await node.smp.imageState()).toHaveLength(1);
  });

  it('the running image cannot be tested; confirming it again is fine', async () => {
    const node = attach();
    const [running] = await node.smp.imageState();
    await expect(node.smp.imageTest(running?.hash ?? '')).rejects.toThrow(/running image cannot be marked for test/);
    await node.smp.imageConfirm(running?.hash ?? '');
  });
});

describe('SMP server: fault knobs', () => {
  it('smpErrorRc answers the next request with that rc, once', async () => {
    const { smp, simulator } = attach();
    simulator.setFaults({ smpErrorRc: MgmtErr.EBUSY });
    await expect(smp.echo('x')).rejects.toThrow(/busy/);
    expect(await smp.echo('y')).toBe('y');
    expect(simulator.faults.smpErrorRc).toBeUndefined();
  });

  it('corruptNextFrame breaks one response CRC; the client retries and gets the next', async () => {
    const { smp, simulator } = attach();
    simulator.setFaults({ corruptNextFrame: true });
    expect(await smp.echo('again')).toBe('again');
    expect(simulator.faults.corruptNextFrame).toBeUndefined();
  });

  it('stallMs silences SMP and the shell for that long', async () => {
    const node = attach();
    await booted(node.link);
    node.simulator.setFaults({ stallMs: 1_500 });
    const quick = new SmpClient(node.link, { timeoutMs: 400, retries: 0 });
    await expect(quick.echo('a')).rejects.toMatchObject({ code: 'timeout' });
    await expect(node.shell.run('device info', { timeoutMs: 300 })).rejects.toMatchObject({ code: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await node.smp.echo('b')).toBe('b');
  });

  it('rebootAtUploadPercent resets the node mid-upload; the partial image never boots', async () => {
    const node = attach();
    await booted(node.link);
    node.simulator.setFaults({ rebootAtUploadPercent: 50 });
    const { image, sha256 } = testImage('1.5.0');
    const once = new SmpClient(node.link, { timeoutMs: 500, retries: 0 });
    await expect(once.imageUpload(image, { sha256 })).rejects.toMatchObject({ code: 'timeout' });
    // The client read the banner while it waited; the shell answering is proof enough of the reboot.
    await node.shell.sync(3_000);
    expect(await node.shell.run('hwinfo reset_cause')).toEqual(['reset cause: watchdog']);
    expect(node.simulator.smp.images.uploadProgress).toBeNull();
    expect(await node.smp.imageState()).toHaveLength(1);
    expect(node.simulator.firmwareVersion).toBe('1.4.2');
  });

  it('refuseImage: the bootloader refuses the next image and the old one keeps running', async () => {
    const node = attach();
    await uploadImage(node, '1.5.0');
    await node.smp.imageTest((await node.smp.imageState())[1]?.hash ?? '');
    node.simulator.setFaults({ refuseImage: true });
    await node.smp.reset();
    await booted(node.link);
    expect(node.simulator.lastBoot?.refused?.message).toBe('the bootloader refused the image: signature not valid for the bootloader key');
    const state = await node.smp.imageState();
    expect(state[0]).toMatchObject({ version: '1.4.2', active: true, confirmed: true });
    expect(state[1]).toMatchObject({ version: '1.5.0', bootable: false, pending: false });
    expect(await node.shell.run('device info')).toContain('firmware: 1.4.2');
  });
});

describe('serial recovery', () => {
  it('has no shell, one slot, writes the primary directly and boots the new application on reset', async () => {
    const node = attach();
    await booted(node.link);
    node.simulator.enterSerialRecovery();
    await new Promise((resolve) => setTimeout(resolve, 400));
    await node.link.write(new TextEncoder().encode('device info\r\n'));
    expect(await drain(node.link, 300)).toEqual([]);

    expect(await node.smp.bootloaderInfo('mode')).toMatchObject({ mode: 0 });
    const state = await node.smp.imageState();
    expect(state).toHaveLength(1);
    expect(state[0]).toMatchObject({ slot: 0, version: '1.4.2', active: false });
    await expect(node.smp.imageTest(state[0]?.hash ?? '')).rejects.toBeInstanceOf(SmpDeviceError);

    const { result } = await uploadImage(node, '2.0.0');
    expect(result.match).toBe(true);
    expect((await node.smp.imageState())[0]?.version).toBe('2.0.0');
    await node.smp.reset();
    await booted(node.link);
    expect(node.simulator.mode).toBe('application');
    expect(await node.shell.run('device info')).toContain('firmware: 2.0.0');
  });

  it('starts in recovery when asked, and stays there after a reset if the primary holds no valid image', async () => {
    const node = attach({ mode: 'serial-recovery' });
    expect(await drain(node.link, 250)).toEqual([]);
    const { image, sha256 } = testImage('2.0.0');
    node.simulator.setFaults({ rebootAtUploadPercent: 40 });
    const once = new SmpClient(node.link, { timeoutMs: 500, retries: 0 });
    await expect(once.imageUpload(image, { sha256 })).rejects.toMatchObject({ code: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(node.simulator.mode).toBe('serial-recovery');
    expect(await node.smp.imageState()).toHaveLength(0);
  });
});

describe('request buffers', () => {
  const echoFrames = (sequences: number[]) =>
    Buffer.concat(
      sequences.map((sequence) =>
        encodeSmpSerialFrames(encodeSmpPacket({ version: 2, op: SmpOp.WRITE, flags: 0, group: SmpGroup.OS, sequence, command: OsCommand.ECHO }, { d: `n${sequence}` })),
      ),
    );
  async function answeredSequences(link: Link, ms: number): Promise<number[]> {
    const decoder = new SmpSerialDecoder();
    const packets = (await drain(link, ms)).flatMap((chunk) => decoder.push(chunk).packets);
    return packets.map((packet) => decodeSmpPacket(packet).header.sequence);
  }

  it('holds buf_count − 1 requests, as Zephyr shares its buffers between requests and answers; frames beyond are dropped unanswered', async () => {
    const node = attach();
    await booted(node.link);
    const dropped = (await node.smp.statsRead('smp')).fields['dropped'] ?? 0;
    // Five frames at once: one handled (with its answer's buffer), two waiting, two with no buffer left.
    await node.link.write(echoFrames([1, 2, 3, 4, 5]));
    expect(await answeredSequences(node.link, 300)).toEqual([1, 2, 3]);
    expect((await node.smp.statsRead('smp')).fields['dropped']).toBe(dropped + 2);
    // Three at once, the most a client may have in flight, are all answered.
    await node.link.write(echoFrames([6, 7, 8]));
    expect(await answeredSequences(node.link, 300)).toEqual([6, 7, 8]);
  });

  it('in serial recovery MCUboot holds one request: it reports buf_count 1 and drops a frame that arrives while it is busy', async () => {
    const node = attach({ mode: 'serial-recovery' });
    expect((await node.smp.params()).bufCount).toBe(1);
    await node.link.write(echoFrames([1, 2]));
    expect(await answeredSequences(node.link, 300)).toEqual([1]);
  });

  it('a pipelined upload at line rate is taken whole, with no frame dropped', async () => {
    const node = attach({ lineRateBaud: 1_000_000 });
    await booted(node.link);
    const { result } = await uploadImage(node, '1.6.0');
    expect(result.match).toBe(true);
    expect((await node.smp.statsRead('smp')).fields['dropped']).toBe(0);
  });
});

describe('statistics and line rate', () => {
  it('at an emulated line rate, an exchange takes at least its wire time', async () => {
    const node = attach({ lineRateBaud: 115_200 });
    // 2,000 characters echoed: about 2 x 2.8 KB of frames at 11.5 KB/s, at least 450 ms.
    const body = { d: 'z'.repeat(600) };
    const started = performance.now();
    for (let i = 0; i < 3; i++) await node.smp.request({ op: 'write', group: SmpGroup.OS, command: OsCommand.ECHO, body, step: 'echo', idempotent: true });
    expect(performance.now() - started).toBeGreaterThan(300);
  });

  it('flash statistics count the upload', async () => {
    const node = attach();
    await uploadImage(node, '1.5.0');
    const flash = await node.smp.statsRead('flash');
    expect(flash.fields['bytes_written']).toBeGreaterThanOrEqual(testImage('1.5.0').image.length);
  });
});
