// Firmware upload throughput over SMP on BLE, against the simulated link's own limit. The real
// NodeBleCentral drives the real node-ble over a private dbus-daemon, where the simulated
// BlueZ serves the virtual sensor node; the SmpClient runs with the BLE framing over a
// BleSmpLink, exactly as an update job does.
//
// The simulated link (ble-link-model.ts) gives every connection event packetsPerInterval
// packet slots, events connectionIntervalMs apart, and charges one slot per ATT PDU of at
// most MTU − 3 value bytes, whichever way it goes: each write without response and each
// notification takes one. So the least time the link needs for an upload is fixed by the
// PDUs the upload actually put on the air, counted here at the connection (every write and
// every notification of the SMP characteristic, from the MCUmgr parameters read that opens
// the upload to the last answer): (⌈PDUs / packetsPerInterval⌉ − 1) × connectionIntervalMs,
// as the model sends a whole event's packets at the event's start.
//
// Where the rest of the time goes is measured, not guessed: the same upload with the link's
// pacing off (timeScale 0) gives what node-ble, D-Bus, the simulator and the client cost per
// write; the paced upload is split into its opening (the parameters read and the first chunk,
// which the client sends one at a time) and the pipelined rest, each against its own limit;
// in the rest, every moment with no write in progress is put down either to the client's
// window of requests in flight being full or to the client itself; and the process's
// event-loop delay shows how late the simulator's slot timers and the replies ran.
import { createHash } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { createMcubootImage } from '../src-main/firmware-images/create-mcuboot-image';
import { SmpBleDecoder, smpBleFraming } from '../src-main/protocols/smp/smp-ble';
import { SmpClient } from '../src-main/protocols/smp/smp-client';
import { uploadWindow } from '../src-main/protocols/smp/smp-upload-window';
import { attWritePayload } from '../src-main/transports/ble/att';
import type { BleConnection, BleServiceInfo, BleWriteOptions } from '../src-main/transports/ble/ble-central';
import { BleSmpLink } from '../src-main/transports/ble/ble-smp-link';
import { NodeBleCentral } from '../src-main/transports/ble/node-ble-central';
import { attachSensorNodeOnAir } from '../src-main/virtual/ble/attach-ble-sensor-node';
import { type BleLinkParameters, bleLinkLimitBytesPerSecond } from '../src-main/virtual/ble/ble-link-model';
import { SMP_BUF_COUNT } from '../src-main/virtual/sensor-node/sensor-node-smp';
import { table, writeSection } from './report';

/** Below this share of the model's limit something is broken, not merely slow. */
const SANITY_FLOOR = 0.5;
const SMP_TIMEOUT_MS = 10_000;
const WINDOW = uploadWindow(SMP_BUF_COUNT);

const uploadRows: (string | number)[][] = [
  ['link (MTU / interval / packets per event)', 'image', 'requests (chunk)', 'on the air', 'measured', 'model limit', 'ratio to limit', 'image bytes / model ceiling', 'answers\' share of PDUs', 'non-image share of bytes written'],
];
const gapRows: (string | number)[][] = [
  ['link', 'image', 'measured − limit', 'opening (measured / its limit)', 'steady state (measured / its limit = ratio)', 'steady state: no write in progress, window full / window with room', 'write call (mean / p95)', 'answer latency (mean)', 'event-loop delay (p99 / max)', 'unpaced upload (timeScale 0)'],
];
/** One sentence per run: the time over the limit, taken apart from the measurements. */
const gapNotes: string[] = [];

afterAll(() => {
  if (uploadRows.length === 1) return;
  writeSection(
    'ble-smp-upload',
    `## Firmware upload over SMP on BLE\n\n` +
      'An MCUboot image uploaded by the real SmpClient (image upload, after its one MCUmgr parameters read; BLE framing, ' +
      `up to ${WINDOW} requests in flight as the node's buf_count ${SMP_BUF_COUNT} allows) over BleSmpLink, through the real ` +
      'NodeBleCentral and node-ble, a private dbus-daemon and the simulated BlueZ, to the virtual sensor node ' +
      '(buf_size 1024, flash instant so the figures are the link\'s). The link is paced at timeScale 1.\n\n' +
      `${table(uploadRows)}\n\n` +
      '**What is counted.** The simulated link charges one packet slot per ATT PDU whichever way it goes, and gives ' +
      'each connection event `packets per event` slots, events one interval apart. **On the air** is every PDU of the ' +
      'SMP characteristic from the parameters read that opens the upload to the last answer, counted at the connection: ' +
      'writes without response host → device (the request packets, bare as MCUmgr\'s GATT transport sends them: 8-byte ' +
      'SMP header, CBOR map with off, data and, in the first, len and sha; at most MTU − 3 bytes each) and notifications ' +
      'device → host (the answers, `{off}` maps, `{off, match}` for the last; the MCUmgr parameters answer). ATT ' +
      'opcode and handle (3 bytes a PDU) are inside the MTU and not counted as data. Nothing else uses the link during ' +
      'the upload (no other characteristic is subscribed). **Model limit** = (⌈PDUs / packets per event⌉ − 1) × interval: ' +
      'the least time the link model needs for exactly that traffic (it sends a whole event\'s packets at the event\'s ' +
      'start, so the first PDU and the last are that far apart); its rate is all SMP bytes on the air (both ways) over ' +
      'that time. **Ratio to limit** = limit time / measured time (1.0 = at the limit). **Image bytes / model ceiling** ' +
      '= image bytes per second measured over the model\'s ceiling for full PDUs, (MTU − 3) × packets per event / ' +
      'interval: what the SMP headers and CBOR, the answers sharing the slots and partly filled PDUs cost on top of the ' +
      'ratio. The last two columns measure the first two of those: the share of PDUs that were answers, and the share ' +
      'of the bytes written that were not image (SMP header, CBOR keys, offsets, the first request\'s len and sha, the ' +
      'parameters read).\n\n' +
      '**Where the rest of the time goes**, measured on the same runs:\n\n' +
      `${table(gapRows)}\n\n` +
      '**Opening**: from the call to the answer of the first chunk. The client sends the parameters read and then ' +
      'the first chunk one at a time, each answered before the next goes (the device may answer the first chunk with ' +
      'a resume offset), so the link idles while each answer comes back; its limit is the model\'s for the PDUs seen ' +
      'in that time. **Steady state**: the rest, with up to the window of requests in flight, against the model\'s ' +
      'limit for its own PDUs (each part\'s limit is rounded to whole events, so the two gaps can add up to one interval ' +
      'more than the whole\'s). **No write in progress**: in the steady state, the time with no write outstanding ' +
      'because every request the client may have in flight was sent and unanswered (window full), and the time with ' +
      'room in the window but no write handed to node-ble yet (the client\'s own turnaround, with the longest such ' +
      'stretch). **Write call**: ' +
      'from handing a write to node-ble to its D-Bus reply, which the simulated BlueZ sends once the PDU has its slot ' +
      '(so it includes the wait for the slot). **Answer latency**: from the write that completes a request to the ' +
      'notification that completes its answer. **Event-loop delay**: how late timers ran in this process, which hosts ' +
      'the client, node-ble and the simulator alike. The model hands out a slot only while its event lasts: when a ' +
      'slot\'s timer fires late and the reply, the client\'s next write and its D-Bus round trip reach the simulator ' +
      'after the next event has begun, that event goes by empty. ' +
      '**Unpaced upload**: the same upload with the link\'s pacing off (timeScale 0), ' +
      'so its write call is the cost of one write through node-ble, D-Bus and the simulator, and its rate is the most this ' +
      'rig can move at all.\n\n' +
      '**The remaining gap, run by run**, from the figures above. The steady-state figure moves from run to run with ' +
      'the load on the machine, as the event-loop delay of the same run shows: an event is missed when the process ' +
      'stalls for about an interval, so the 7.5 ms link loses the most:\n\n' +
      gapNotes.map((note) => `- ${note}`).join('\n'),
  );
});

interface Traffic {
  writes: number;
  writeBytes: number;
  writePdus: number;
  notifications: number;
  notificationBytes: number;
  writeCallMs: number[];
  requests: number;
  answers: number;
  answerLatencyMs: number[];
  idleWindowFullMs: number;
  /** When each answer was complete. */
  answerAt: number[];
  /** Each stretch with no write in progress while the window had room: when it ended and how long it was. */
  clientGaps: { endAt: number; ms: number }[];
  /** When the host saw each PDU: a write's reply (sent once it had its slot), a notification's arrival. */
  pduAt: number[];
}

function emptyTraffic(): Traffic {
  return {
    writes: 0,
    writeBytes: 0,
    writePdus: 0,
    notifications: 0,
    notificationBytes: 0,
    writeCallMs: [],
    requests: 0,
    answers: 0,
    answerLatencyMs: [],
    idleWindowFullMs: 0,
    answerAt: [],
    clientGaps: [],
    pduAt: [],
  };
}

/**
 * The connection as BleSmpLink sees it, counting every ATT write and notification and
 * timing them. SMP packets are found in each direction with the same decoder the client
 * uses, so requests in flight are known at every moment.
 */
class MeteredConnection implements BleConnection {
  traffic: Traffic = emptyTraffic();
  private requestDecoder = new SmpBleDecoder();
  private answerDecoder = new SmpBleDecoder();
  /** When each unanswered request's last write returned. */
  private requestSentAt: number[] = [];
  private idleSince: number | null = null;
  private idleWithWindowFull = false;
  /** When an answer made room in a full window during the current gap. */
  private windowFreedAt: number | null = null;

  constructor(private readonly inner: BleConnection) {}

  get address(): string {
    return this.inner.address;
  }
  get label(): string {
    return this.inner.label;
  }
  get mtu(): number {
    return this.inner.mtu;
  }
  get connected(): boolean {
    return this.inner.connected;
  }
  services(): Promise<BleServiceInfo[]> {
    return this.inner.services();
  }
  read(service: string, characteristic: string): Promise<Uint8Array> {
    return this.inner.read(service, characteristic);
  }
  onDisconnect(listener: (reason: string) => void): () => void {
    return this.inner.onDisconnect(listener);
  }
  disconnect(): Promise<void> {
    return this.inner.disconnect();
  }

  /** Counting starts afresh: what came before (opening the link) is not the upload's. */
  reset(): void {
    this.traffic = emptyTraffic();
    this.requestDecoder = new SmpBleDecoder();
    this.answerDecoder = new SmpBleDecoder();
    this.requestSentAt = [];
    this.idleSince = performance.now();
    this.idleWithWindowFull = false;
    this.windowFreedAt = null;
  }

  async write(service: string, characteristic: string, bytes: Uint8Array, options: BleWriteOptions): Promise<void> {
    const t = this.traffic;
    const start = performance.now();
    if (this.idleSince !== null) {
      // A gap that began with the window full is the client's own from the answer that freed it.
      const freed = this.idleWithWindowFull ? (this.windowFreedAt ?? start) : this.idleSince;
      t.idleWindowFullMs += freed - this.idleSince;
      if (start > freed) t.clientGaps.push({ endAt: start, ms: start - freed });
      this.idleSince = null;
    }
    await this.inner.write(service, characteristic, bytes, options);
    const end = performance.now();
    t.writes += 1;
    t.writeBytes += bytes.length;
    t.writePdus += Math.ceil(bytes.length / attWritePayload(this.inner.mtu));
    t.writeCallMs.push(end - start);
    const completed = this.requestDecoder.push(bytes).packets.length;
    t.requests += completed;
    for (let i = 0; i < completed; i++) this.requestSentAt.push(end);
    t.pduAt.push(end);
    this.idleSince = end;
    this.idleWithWindowFull = this.requestSentAt.length >= WINDOW;
    this.windowFreedAt = null;
  }

  subscribe(service: string, characteristic: string, onValue: (value: Uint8Array) => void): Promise<() => Promise<void>> {
    return this.inner.subscribe(service, characteristic, (value) => {
      const t = this.traffic;
      const now = performance.now();
      t.notifications += 1;
      t.notificationBytes += value.length;
      t.pduAt.push(now);
      for (const _ of this.answerDecoder.push(value).packets) {
        t.answers += 1;
        t.answerAt.push(now);
        const sentAt = this.requestSentAt.shift();
        if (sentAt !== undefined) t.answerLatencyMs.push(now - sentAt);
      }
      if (this.idleWithWindowFull && this.windowFreedAt === null && this.requestSentAt.length < WINDOW) this.windowFreedAt = now;
      onValue(value);
    });
  }
}

function makeImage(payloadBytes: number): { image: Uint8Array; sha256: Uint8Array } {
  const payload = new Uint8Array(payloadBytes);
  let state = 0x1234567;
  for (let i = 0; i < payload.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    payload[i] = state >>> 24;
  }
  const image = createMcubootImage({ version: '2.0.0+1', payload });
  return { image, sha256: Uint8Array.from(createHash('sha256').update(image).digest()) };
}

interface UploadRun {
  seconds: number;
  traffic: Traffic;
  requests: number;
  chunkSize: number;
  /** performance.now() at the call and at its end. */
  startedAt: number;
  endedAt: number;
  /** Event-loop delay in this process (client, node-ble and the simulator share it), in ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/** One upload over a fresh private bus, simulated BlueZ and node; everything started is stopped. */
async function uploadOverTheAir(link: BleLinkParameters, timeScale: number, image: Uint8Array, sha256: Uint8Array): Promise<UploadRun> {
  const onAir = await attachSensorNodeOnAir({
    node: { seed: 7, timeScale: 0, slotSize: 0x80000 },
    timeScale,
    link,
  });
  const savedBus = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  process.env.DBUS_SYSTEM_BUS_ADDRESS = onAir.busAddress;
  const central = new NodeBleCentral({ platform: 'linux', callTimeoutMs: SMP_TIMEOUT_MS });
  try {
    const connection = new MeteredConnection(await central.connect(onAir.device.address, { deadlineMs: 15_000 }));
    expect(connection.mtu).toBe(link.mtu);
    const smpLink = await BleSmpLink.open(connection);
    try {
      const smp = new SmpClient(smpLink, { framing: smpBleFraming({ mtu: () => smpLink.mtu }), timeoutMs: SMP_TIMEOUT_MS });
      connection.reset();
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const start = performance.now();
      const result = await smp.imageUpload(image, { sha256 });
      const end = performance.now();
      loop.disable();
      const seconds = (end - start) / 1000;
      expect(result.match).toBe(true);
      expect(result.bytes).toBe(image.length);
      const traffic = connection.traffic;
      // The metering saw every packet: the parameters read and each chunk went out, and each was answered.
      expect(traffic.requests).toBe(result.requests + 1);
      expect(traffic.answers).toBe(traffic.requests);
      return {
        seconds,
        traffic,
        requests: result.requests,
        chunkSize: result.chunkSize,
        startedAt: start,
        endedAt: end,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
      };
    } finally {
      await smpLink.close();
    }
  } finally {
    await central.close();
    await onAir.detach();
    if (savedBus === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    else process.env.DBUS_SYSTEM_BUS_ADDRESS = savedBus;
  }
}

/** The model's least time for this many PDUs: a whole event's packets go at its start. */
function linkLimitMs(pdus: number, link: BleLinkParameters): number {
  return Math.max(0, Math.ceil(pdus / link.packetsPerInterval) - 1) * link.connectionIntervalMs;
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const kib = (bytesPerSecond: number) => `${(bytesPerSecond / 1024).toFixed(2)} KiB/s`;
const ms = (value: number) => `${value.toFixed(2)} ms`;

const LINKS: BleLinkParameters[] = [
  { mtu: 247, connectionIntervalMs: 30, packetsPerInterval: 4 },
  { mtu: 185, connectionIntervalMs: 15, packetsPerInterval: 6 },
  { mtu: 23, connectionIntervalMs: 7.5, packetsPerInterval: 1 },
];
const cases: { link: BleLinkParameters; payloadKiB: number }[] = [
  ...LINKS.map((link) => ({ link, payloadKiB: 128 })),
  { link: LINKS[0]!, payloadKiB: 384 },
];

describe('SMP upload over BLE benchmarks', () => {
  for (const { link, payloadKiB } of cases) {
    const name = `MTU ${link.mtu} / ${link.connectionIntervalMs} ms / ${link.packetsPerInterval}`;
    it(`${payloadKiB} KiB over ${name}`, async () => {
      const { image, sha256 } = makeImage(payloadKiB * 1024);
      const unpaced = await uploadOverTheAir(link, 0, image, sha256);
      const run = await uploadOverTheAir(link, 1, image, sha256);
      const t = run.traffic;

      const pdus = t.writePdus + t.notifications;
      const limitSeconds = linkLimitMs(pdus, link) / 1000;
      const airBytes = t.writeBytes + t.notificationBytes;
      const ratio = limitSeconds / run.seconds;
      const ceiling = bleLinkLimitBytesPerSecond(link);
      const imageRate = image.length / run.seconds;
      uploadRows.push([
        name,
        `${payloadKiB} KiB payload, ${image.length} B`,
        `${run.requests} (${run.chunkSize} B)`,
        `${t.writes} writes (${t.writeBytes} B) + ${t.notifications} notifications (${t.notificationBytes} B) = ${pdus} PDUs`,
        `${run.seconds.toFixed(2)} s, ${kib(airBytes / run.seconds)} on the air, ${kib(imageRate)} image`,
        `${limitSeconds.toFixed(2)} s, ${kib(airBytes / limitSeconds)}`,
        `**${ratio.toFixed(3)}**`,
        `${(imageRate / ceiling).toFixed(3)} (${kib(imageRate)} / ${kib(ceiling)})`,
        `${((t.notifications / pdus) * 100).toFixed(1)} %`,
        `${(((t.writeBytes - image.length) / t.writeBytes) * 100).toFixed(1)} %`,
      ]);
      const wallMs = run.seconds * 1000;
      const overMs = wallMs - limitSeconds * 1000;
      // The pipeline starts once the first chunk is answered (the parameters read is answered first).
      const openedAt = t.answerAt[1] ?? run.endedAt;
      const openingPdus = t.pduAt.filter((at) => at <= openedAt).length;
      const openingMs = openedAt - run.startedAt;
      const openingLimitMs = linkLimitMs(openingPdus, link);
      const steadyMs = run.endedAt - openedAt;
      const steadyLimitMs = linkLimitMs(pdus - openingPdus, link);
      const steadyOverMs = steadyMs - steadyLimitMs;
      const steadyClientGaps = t.clientGaps.filter((gap) => gap.endAt > openedAt).map((gap) => gap.ms);
      const steadyClientMs = steadyClientGaps.reduce((sum, gap) => sum + gap, 0);
      const longestClientGapMs = Math.max(0, ...steadyClientGaps);
      gapRows.push([
        name,
        `${payloadKiB} KiB`,
        `${ms(overMs)} (${(overMs / link.connectionIntervalMs).toFixed(1)} intervals)`,
        `${ms(openingMs)} / ${ms(openingLimitMs)} (${openingPdus} PDUs)`,
        `${(steadyMs / 1000).toFixed(2)} s / ${(steadyLimitMs / 1000).toFixed(2)} s = **${(steadyLimitMs / steadyMs).toFixed(3)}**`,
        `${ms(t.idleWindowFullMs)} / ${ms(steadyClientMs)} (longest ${ms(longestClientGapMs)})`,
        `${ms(mean(t.writeCallMs))} / ${ms(percentile(t.writeCallMs, 95))}`,
        ms(mean(t.answerLatencyMs)),
        `${ms(run.loopDelayP99Ms)} / ${ms(run.loopDelayMaxMs)}`,
        `${unpaced.seconds.toFixed(2)} s, ${kib(image.length / unpaced.seconds)} image; write call ${ms(mean(unpaced.traffic.writeCallMs))} / ${ms(percentile(unpaced.traffic.writeCallMs, 95))}`,
      ]);
      gapNotes.push(
        `${name}, ${payloadKiB} KiB: ${ms(overMs)} over the limit (${(overMs / link.connectionIntervalMs).toFixed(1)} intervals). ` +
          `The opening, two exchanges one at a time, took ${ms(openingMs)} where its ${openingPdus} PDUs need ${ms(openingLimitMs)}: ` +
          `${ms(openingMs - openingLimitMs)} of the gap is the client waiting for those answers before it starts the pipeline. ` +
          `The steady state ran ${ms(steadyOverMs)} (${(steadyOverMs / link.connectionIntervalMs).toFixed(1)} intervals) over its limit ` +
          `while the window was full for ${ms(t.idleWindowFullMs)} and the client, with room in it, left no write in progress for ` +
          `${ms(steadyClientMs)} in all (at most ${ms(longestClientGapMs)} at a time, short of one ${link.connectionIntervalMs} ms interval ` +
          `${longestClientGapMs < link.connectionIntervalMs ? 'every time' : 'not every time'}); what is left is events that went by empty ` +
          `because a write, its D-Bus round trip or a slot's timer came too late for one: timers in this process ran up to ${ms(run.loopDelayMaxMs)} late (p99 ${ms(run.loopDelayP99Ms)}) ` +
          `against the ${link.connectionIntervalMs} ms interval within which ${link.packetsPerInterval === 1 ? 'an event\'s packet' : `all ${link.packetsPerInterval} packets of an event`} must reach the simulator, while a write's ` +
          `own D-Bus round trip, unpaced, is ${ms(mean(unpaced.traffic.writeCallMs))} on average (${ms(percentile(unpaced.traffic.writeCallMs, 95))} p95). ` +
          `Unpaced, the same upload runs ${(run.seconds / unpaced.seconds).toFixed(1)}× faster, so the rig's throughput is not the limit.`,
      );
      expect(ratio).toBeGreaterThanOrEqual(SANITY_FLOOR);
    });
  }
});
