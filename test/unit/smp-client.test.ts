import { createHash } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { type CborValue, encodeCbor } from '../../src-main/protocols/cbor/cbor';
import { SmpClient, type SmpClientOptions, SmpDeviceError, SmpUploadCancelledError } from '../../src-main/protocols/smp/smp-client';
import { ImageCommand, MgmtErr, OsCommand, SmpGroup } from '../../src-main/protocols/smp/smp-groups';
import { decodeSmpPacket, encodeSmpPacketBytes, SMP_HEADER_SIZE, type SmpHeader, SmpOp } from '../../src-main/protocols/smp/smp-packet';
import { encodeSmpSerialFrames, SmpSerialDecoder, smpSerialFramedSize } from '../../src-main/protocols/smp/smp-serial';
import { largestUploadChunk, uploadRequestBody } from '../../src-main/protocols/smp/smp-upload-chunk';
import type { Link } from '../../src-main/transports/link';
import { createMemoryLinkPair } from '../../src-main/transports/memory-link';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});


interface Received {
  header: SmpHeader;
  body: { [key: string]: CborValue };
  /** Bytes of the frames that carried it. */
  wireBytes: number;
  /** Answers the device had sent when the bytes of this request arrived. */
  answeredBefore: number;
  /** Requests received and not yet answered when this one arrived, itself included. */
  unanswered: number;
}

/** What the fake device does with one request: a body to answer, 'silence', or raw CBOR bytes. */
type Reply = CborValue | 'silence' | { raw: Uint8Array };

interface FakeOptions {
  /** The device speaks only version 1: it answers with a version 1 header, or refuses version 2 with rc 8. */
  only1?: 'answers-v1' | 'refuses-v2';
  bufSize?: number | 'unsupported';
  /** buf_count in the MCUmgr parameters (default 4). */
  bufCount?: number;
  /**
   * Answers go out this long after their request, one after another, while the device goes
   * on reading (a device with several buffers); unset: each is answered before the next is read.
   */
  answerDelayMs?: number;
  /** Console text the device prints before each answer. */
  chatter?: string;
  /** Sent before each answer: a response nobody asked for. */
  stray?: boolean;
  /** Answers one request; undefined falls through to the built-in behaviour. */
  handle?: (request: Received, device: FakeDevice) => Reply | undefined;
}

/** A small SMP server over the device end of a memory link, built on the same codecs. */
class FakeDevice {
  readonly requests: Received[] = [];
  /** The upload the device is holding. */
  upload: { sha: Uint8Array | null; len: number; data: Uint8Array; off: number } | null = null;
  text = '';
  answered = 0;
  private backlog: Promise<void> = Promise.resolve();

  constructor(
    readonly link: Link,
    private readonly options: FakeOptions,
  ) {
    void this.serve();
  }

  private async serve(): Promise<void> {
    const decoder = new SmpSerialDecoder();
    let pendingWire = 0;
    while (this.link.isOpen) {
      const chunk = await this.link.read(1000).catch(() => null);
      if (chunk === null) return;
      pendingWire += chunk.length;
      const answeredBefore = this.answered;
      const { packets, text } = decoder.push(chunk);
      this.text += new TextDecoder().decode(text);
      for (const bytes of packets) {
        const { header, body } = decodeSmpPacket(bytes);
        const unanswered = this.requests.length + 1 - this.answered;
        const request: Received = { header, body: (body ?? {}) as Received['body'], wireBytes: pendingWire, answeredBefore, unanswered };
        pendingWire = 0;
        this.requests.push(request);
        const delay = this.options.answerDelayMs;
        if (delay === undefined) await this.answer(request);
        else this.backlog = this.backlog.then(() => new Promise((resolve) => setTimeout(resolve, delay))).then(() => this.answer(request));
      }
    }
  }

  private async answer(request: Received): Promise<void> {
    const { header } = request;
    let reply: Reply | undefined = this.options.handle?.(request, this);
    let version = header.version;
    if (this.options.only1) {
      version = 1;
      if (header.version === 2 && this.options.only1 === 'refuses-v2') reply = { rc: MgmtErr.ENOTSUP };
    }
    reply ??= this.builtIn(request);
    this.answered += 1;
    if (reply === 'silence') return;
    const body = typeof reply === 'object' && reply !== null && 'raw' in reply && reply.raw instanceof Uint8Array ? reply.raw : encodeCbor(reply as CborValue);
    const op = header.op === SmpOp.READ ? SmpOp.READ_RSP : SmpOp.WRITE_RSP;
    const parts: Uint8Array[] = [];
    if (this.options.chatter) parts.push(new TextEncoder().encode(this.options.chatter));
    if (this.options.stray) {
      parts.push(encodeSmpSerialFrames(encodeSmpPacketBytes({ ...header, version, op, sequence: (header.sequence + 7) & 0xff }, encodeCbor({ r: 'stray' }))));
      parts.push(encodeSmpSerialFrames(encodeSmpPacketBytes({ ...header, version, op, group: 42 }, encodeCbor({ r: 'stray' }))));
    }
    parts.push(encodeSmpSerialFrames(encodeSmpPacketBytes({ ...header, version, op }, body)));
    for (const part of parts) await this.link.write(part).catch(() => undefined);
  }

  private builtIn({ header, body }: Received): Reply {
    const key = `${header.group}/${header.command}`;
    if (key === `${SmpGroup.OS}/${OsCommand.ECHO}`) return { r: body['d'] ?? null };
    if (key === `${SmpGroup.OS}/${OsCommand.MCUMGR_PARAMS}`) {
      const size = this.options.bufSize ?? 512;
      return size === 'unsupported' ? { rc: MgmtErr.ENOTSUP } : { buf_size: size, buf_count: this.options.bufCount ?? 4 };
    }
    if (key === `${SmpGroup.IMAGE}/${ImageCommand.UPLOAD}`) return this.uploadChunk(body);
    return { rc: MgmtErr.ENOTSUP };
  }

  /** Zephyr's rules: off 0 with a known sha resumes; any other off than the expected one is answered with the expected one. */
  private uploadChunk(body: Received['body']): Reply {
    const off = body['off'] as number;
    const data = body['data'] as Uint8Array;
    if (off === 0) {
      const sha = (body['sha'] as Uint8Array | undefined) ?? null;
      const len = body['len'] as number;
      const same = this.upload && sha && this.upload.sha && Buffer.from(sha).equals(this.upload.sha) && this.upload.len === len;
      if (same && this.upload!.off > 0) return { off: this.upload!.off };
      this.upload = { sha, len, data: new Uint8Array(len), off: 0 };
    }
    const upload = this.upload;
    if (!upload || off !== upload.off) return { off: upload?.off ?? 0 };
    upload.data.set(data, off);
    upload.off += data.length;
    if (upload.off < upload.len) return { off: upload.off };
    const match = upload.sha ? Buffer.from(createHash('sha256').update(upload.data).digest()).equals(upload.sha) : undefined;
    return { off: upload.off, match };
  }
}

function setup(fake: FakeOptions = {}, client: SmpClientOptions = {}) {
  const [host, device] = createMemoryLinkPair('virtual mcuboot node', 'device end');
  closers.push(() => host.close());
  const texts: string[] = [];
  const smp = new SmpClient(host, { timeoutMs: 200, onText: (text) => texts.push(new TextDecoder().decode(text)), ...client });
  return { smp, device: new FakeDevice(device, fake), host, texts };
}

function imageOf(size: number): { image: Uint8Array; sha256: Uint8Array } {
  const image = Uint8Array.from({ length: size }, (_, i) => (i * 7 + 3) & 0xff);
  return { image, sha256: createHash('sha256').update(image).digest() };
}

describe('SmpClient requests', () => {
  test('echo over serial framing, in version 2, with console text passed on', async () => {
    const { smp, device, texts } = setup({ chatter: '[00:00:01] <inf> app: tick\r\nuart:~$ ' });
    expect(await smp.echo('hello')).toBe('hello');
    expect(texts.join('')).toBe('[00:00:01] <inf> app: tick\r\nuart:~$ ');
    expect(device.requests[0]!.header).toMatchObject({ version: 2, op: SmpOp.WRITE, group: 0, command: 0, sequence: 0 });
  });

  test('sequence numbers count up and wrap after 255; requests queue one at a time', async () => {
    const { smp, device } = setup();
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => smp.echo(`n${i}`)));
    expect(answers).toEqual(Array.from({ length: 300 }, (_, i) => `n${i}`));
    expect(device.requests.map((r) => r.header.sequence).slice(254, 258)).toEqual([254, 255, 0, 1]);
    // Each request reached the device only after the one before it was answered.
    expect(device.requests.every((request, index) => request.answeredBefore === index)).toBe(true);
  });

  test('stray responses and garbage between frames are ignored', async () => {
    const { smp, texts } = setup({ stray: true, chatter: '\x00\xff garbage \x06 line\n' });
    expect(await smp.echo('real')).toBe('real');
    expect(texts.join('')).toContain('garbage');
  });

  test('the typed reads, from indefinite-length maps as Zephyr encodes them', async () => {
    const indefinite = (entries: [string, Uint8Array][]) =>
      Uint8Array.from([0xbf, ...entries.flatMap(([key, value]) => [...encodeCbor(key), ...value]), 0xff]);
    const { smp } = setup({
      handle: ({ header, body }) => {
        const key = `${header.group}/${header.command}`;
        if (key === '0/2') {
          return { raw: indefinite([['tasks', indefinite([['main', indefinite([['prio', encodeCbor(7)], ['stkuse', encodeCbor(120)], ['stksiz', encodeCbor(1024)], ['runtime', encodeCbor(2n ** 60n)]])]])]]) };
        }
        if (key === '0/3') return { pools: { heap: { blksiz: 16, nblks: 64, nfree: 10, min: 2 } } };
        if (key === '0/7') return { output: body['format'] === 'sv' ? 'Zephyr 3.7.0' : 'Zephyr' };
        if (key === '0/8') return body['query'] === 'mode' ? { mode: 3, 'no-downgrade': true } : { bootloader: 'MCUboot' };
        if (key === '2/1') return { stat_list: ['smp_uart', 'flash'] };
        if (key === '2/0') return { name: body['name'] ?? null, fields: { rx: 10, tx: 2n ** 40n } };
        return undefined;
      },
    });
    expect(await smp.taskStats()).toEqual([
      { name: 'main', priority: 7, id: null, state: null, stackUsed: 120, stackSize: 1024, contextSwitches: null, runtime: 2 ** 60 },
    ]);
    expect(await smp.memoryPoolStats()).toEqual([{ name: 'heap', blockSize: 16, blocks: 64, free: 10, minimumFree: 2 }]);
    expect(await smp.params()).toEqual({ bufSize: 512, bufCount: 4 });
    expect(await smp.osInfo('sv')).toBe('Zephyr 3.7.0');
    expect(await smp.bootloaderInfo()).toEqual({ bootloader: 'MCUboot' });
    expect(await smp.bootloaderInfo('mode')).toEqual({ mode: 3, modeName: 'swap without scratch', noDowngrade: true });
    expect(await smp.statsList()).toEqual(['smp_uart', 'flash']);
    expect(await smp.statsRead('smp_uart')).toEqual({ name: 'smp_uart', fields: { rx: 10, tx: 2 ** 40 } });
  });

  test('image state, test and confirm', async () => {
    const hash = new Uint8Array(32).fill(0xab);
    const { smp, device } = setup({
      handle: ({ header }) =>
        header.group === 1 && header.command === 0
          ? {
              images: [
                { slot: 0, version: '1.4.2', hash: new Uint8Array(32).fill(1), bootable: true, confirmed: true, active: true },
                { image: 0, slot: 1, version: '1.5.0+3', hash, bootable: true, pending: true },
              ],
              splitStatus: 0,
            }
          : undefined,
    });
    const state = await smp.imageState();
    expect([...state]).toEqual([
      { image: 0, slot: 0, version: '1.4.2', hash: '01'.repeat(32), bootable: true, pending: false, confirmed: true, active: true, permanent: false },
      { image: 0, slot: 1, version: '1.5.0+3', hash: 'ab'.repeat(32), bootable: true, pending: true, confirmed: false, active: false, permanent: false },
    ]);
    expect(state.splitStatus).toBe(0);
    await smp.imageTest('ab'.repeat(32));
    await smp.imageConfirm();
    expect(device.requests.slice(1).map((r) => [r.header.op, r.body])).toEqual([
      [SmpOp.WRITE, { hash, confirm: false }],
      [SmpOp.WRITE, { confirm: true }],
    ]);
    expect((await fieldbenchErrorOf(smp.imageTest('xyz'))).code).toBe('invalid-request');
  });

  test('a device that lacks a field answers with a clear device-error', async () => {
    const { smp } = setup({ handle: () => ({ buf_count: 4 }) });
    const error = await fieldbenchErrorOf(smp.params());
    expect(error.code).toBe('device-error');
    expect(error.message).toContain("nothing where a number 'buf_size' was expected");
  });
});

describe('SmpClient errors', () => {
  test('a version 1 rc becomes a device-error in words', async () => {
    const { smp } = setup({ handle: () => ({ rc: MgmtErr.EBUSY }) });
    const error = await fieldbenchErrorOf(smp.imageErase(1));
    expect(error).toBeInstanceOf(SmpDeviceError);
    expect(error).toMatchObject({ code: 'device-error', device: 'virtual mcuboot node', step: 'image erase' });
    expect(error.message).toBe('the device is busy with another operation (MGMT_ERR_EBUSY)');
    expect(error.hint).toMatch(/Wait/);
  });

  test('a version 2 group error becomes a device-error in the group words', async () => {
    const { smp } = setup({ handle: () => ({ err: { group: 1, rc: 9 } }) });
    const error = await fieldbenchErrorOf(smp.imageTest('ab'.repeat(32)));
    expect(error.message).toContain('IMG_MGMT_ERR_NO_FREE_SLOT');
    expect(error.hint).toMatch(/erase the secondary slot/);
  });

  test('silence: reads are tried 1 + retries times, then a timeout names the device, the command and the deadline', async () => {
    const { smp, device } = setup({ handle: () => 'silence' }, { timeoutMs: 60, retries: 2 });
    const error = await fieldbenchErrorOf(smp.imageState());
    expect(error).toMatchObject({ code: 'timeout', device: 'virtual mcuboot node', step: 'image state read' });
    expect(error.message).toContain('no answer to image state read within 60 ms (3 attempts)');
    expect(device.requests).toHaveLength(3);
  });

  test('a write is never sent twice on silence, and the message says it may have happened', async () => {
    const { smp, device } = setup({ handle: () => 'silence' }, { timeoutMs: 60 });
    const error = await fieldbenchErrorOf(smp.reset({ force: true }));
    expect(error.code).toBe('timeout');
    expect(error.hint).toMatch(/may still have carried out/);
    expect(device.requests).toHaveLength(1);
    expect(device.requests[0]!.body).toEqual({ force: true });
  });

  test('a read whose first answer is lost succeeds on a retry; a late answer to the first attempt is also taken', async () => {
    let calls = 0;
    const { smp, device } = setup({ handle: () => (++calls === 1 ? 'silence' : undefined) }, { timeoutMs: 60 });
    expect(await smp.echo('again')).toBe('again');
    expect(device.requests).toHaveLength(2);
    expect(device.requests[1]!.header.sequence).not.toBe(device.requests[0]!.header.sequence);
  });

  test('an answer damaged on the line (bad CRC) is asked for again at once when repeating is safe, never for a write', async () => {
    const damaged = (header: Received['header'], body: CborValue): Uint8Array => {
      const op = header.op === SmpOp.READ ? SmpOp.READ_RSP : SmpOp.WRITE_RSP;
      const frames = encodeSmpSerialFrames(encodeSmpPacketBytes({ ...header, op }, encodeCbor(body)));
      frames[6] = frames[6] === 0x41 ? 0x42 : 0x41; // one base64 digit changed: the frame parses, its CRC fails
      return frames;
    };
    let calls = 0;
    const { smp, device } = setup(
      {
        handle: ({ header, body }, fake) => {
          if (++calls > 1) return undefined;
          void fake.link.write(damaged(header, { r: body['d'] ?? null })).catch(() => undefined);
          return 'silence';
        },
      },
      { timeoutMs: 10_000 },
    );
    const started = Date.now();
    expect(await smp.echo('again')).toBe('again');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(device.requests).toHaveLength(2);

    const writes = setup(
      {
        handle: ({ header }, fake) => {
          void fake.link.write(damaged(header, {})).catch(() => undefined);
          return 'silence';
        },
      },
      { timeoutMs: 60 },
    );
    expect((await fieldbenchErrorOf(writes.smp.reset({ force: true }))).code).toBe('timeout');
    expect(writes.device.requests).toHaveLength(1);
  });

  test('a late answer to an earlier, timed-out request is not taken for the next one', async () => {
    let calls = 0;
    const holder: { device?: FakeDevice } = {};
    const { smp, device } = setup(
      {
        handle: ({ header }) => {
          calls += 1;
          if (calls === 1) {
            // Answer the first request only after its deadline, just as the second goes out.
            setTimeout(() => {
              const late = encodeSmpSerialFrames(encodeSmpPacketBytes({ ...header, op: SmpOp.WRITE_RSP }, encodeCbor({ r: 'late' })));
              void holder.device?.link.write(late).catch(() => undefined);
            }, 80);
            return 'silence';
          }
          return undefined;
        },
      },
      { timeoutMs: 60, retries: 0 },
    );
    holder.device = device;
    expect((await fieldbenchErrorOf(smp.echo('first'))).code).toBe('timeout');
    expect(await smp.echo('second')).toBe('second');
  });

  test('a dropped link is device-gone, mid-request and after', async () => {
    const { smp, device } = setup({
      handle: (_request, fake) => {
        void fake.link.close();
        return 'silence';
      },
    });
    const error = await fieldbenchErrorOf(smp.imageState());
    expect(error).toMatchObject({ code: 'device-gone', device: 'virtual mcuboot node', step: 'image state read' });
    expect((await fieldbenchErrorOf(smp.echo('x'))).code).toBe('device-gone');
    expect(device.link.isOpen).toBe(false);
  });
});

describe('SmpClient protocol versions', () => {
  test('a device that answers with a version 1 header moves the client to version 1 for good', async () => {
    const { smp, device } = setup({ only1: 'answers-v1' });
    expect(await smp.echo('a')).toBe('a');
    expect(smp.protocolVersion).toBe(1);
    await smp.echo('b');
    expect(device.requests.map((r) => r.header.version)).toEqual([2, 1]);
  });

  test('a device that refuses version 2 with rc 8 is asked again in version 1', async () => {
    const { smp, device } = setup({ only1: 'refuses-v2' });
    expect(await smp.echo('a')).toBe('a');
    expect(smp.protocolVersion).toBe(1);
    expect(device.requests.map((r) => r.header.version)).toEqual([2, 1]);
  });

  test('a version 2 device without the command stays at version 2 and reports ENOTSUP', async () => {
    const { smp, device } = setup();
    const error = await fieldbenchErrorOf(smp.statsList());
    expect(error.message).toContain('MGMT_ERR_ENOTSUP');
    expect(smp.protocolVersion).toBe(2);
    expect(device.requests.map((r) => r.header.version)).toEqual([2, 1]);
  });

  test('a client started at version 1 stays there', async () => {
    const { smp, device } = setup({}, { version: 1 });
    await smp.echo('a');
    expect(device.requests[0]!.header.version).toBe(1);
  });
});

describe('SmpClient image upload', () => {
  test('the whole image arrives, in requests that fit the device buffer as it decodes them, with progress', async () => {
    const { image, sha256 } = imageOf(5000);
    const { smp, device } = setup({ bufSize: 384 });
    const progress: number[] = [];
    const result = await smp.imageUpload(image, { sha256, onProgress: (sent, total) => (expect(total).toBe(5000), progress.push(sent)) });
    expect(device.upload?.data).toEqual(image);
    expect(result).toMatchObject({ bytes: 5000, match: true });
    expect(progress.at(-1)).toBe(5000);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const uploads = device.requests.filter((r) => r.header.group === SmpGroup.IMAGE);
    // The device holds length field + packet + CRC (4 bytes beside the packet), not the base64 lines.
    for (const request of uploads) expect(SMP_HEADER_SIZE + request.header.length + 4).toBeLessThanOrEqual(384);
    // The largest chunk leaves no room for one more byte.
    const biggest = uploads.reduce((a, b) => ((a.body['data'] as Uint8Array).length >= (b.body['data'] as Uint8Array).length ? a : b));
    const packetLength = SMP_HEADER_SIZE + encodeCbor(biggest.body).length;
    expect(packetLength + 4).toBeLessThanOrEqual(384);
    expect(packetLength + 1 + 4).toBeGreaterThan(384);
    // So the framed request is larger than the buffer: sizing by the framed text would waste a quarter of it.
    expect(biggest.wireBytes).toBeGreaterThan(384);
    expect(biggest.wireBytes).toBe(smpSerialFramedSize(packetLength));
    expect(result.chunkSize).toBe((biggest.body['data'] as Uint8Array).length);
    // Only the first request carries len and sha; every request carries off and data.
    expect(Object.keys(uploads[0]!.body)).toEqual(['len', 'off', 'sha', 'data']);
    expect(Object.keys(uploads[1]!.body)).toEqual(['off', 'data']);
  });

  test('a device without MCUmgr parameters gets the 512-byte default', async () => {
    const { image, sha256 } = imageOf(2000);
    const { smp, device } = setup({ bufSize: 'unsupported' });
    await smp.imageUpload(image, { sha256, image: 0 });
    const uploads = device.requests.filter((r) => r.header.group === SmpGroup.IMAGE);
    const held = uploads.map((r) => SMP_HEADER_SIZE + r.header.length + 4);
    expect(Math.max(...held)).toBeLessThanOrEqual(512);
    expect(Math.max(...held)).toBeGreaterThan(500);
    expect(uploads[0]!.body['image']).toBe(0);
  });

  test('resume: the device says it already holds N bytes of this image, and the upload goes on from N', async () => {
    const { image, sha256 } = imageOf(4000);
    const { smp, device } = setup();
    device.upload = { sha: sha256, len: 4000, data: new Uint8Array(4000), off: 2500 };
    device.upload.data.set(image.subarray(0, 2500));
    const progress: number[] = [];
    await smp.imageUpload(image, { sha256, onProgress: (sent) => progress.push(sent) });
    expect(progress[0]).toBe(2500);
    expect(device.upload.data).toEqual(image);
    const offsets = device.requests.filter((r) => r.header.group === SmpGroup.IMAGE).map((r) => r.body['off']);
    expect(offsets[0]).toBe(0);
    expect(offsets[1]).toBe(2500);
  });

  test('a start offset from a journal is corrected by the device when it disagrees', async () => {
    const { image, sha256 } = imageOf(3000);
    const { smp, device } = setup();
    device.upload = { sha: sha256, len: 3000, data: new Uint8Array(3000), off: 1000 };
    device.upload.data.set(image.subarray(0, 1000));
    await smp.imageUpload(image, { sha256, startOffset: 1800 });
    expect(device.upload.data).toEqual(image);
    expect(device.requests.filter((r) => r.header.group === SmpGroup.IMAGE).map((r) => r.body['off']).slice(0, 2)).toEqual([1800, 1000]);
  });

  test('when the device rewinds, the upload follows it back', async () => {
    const { image, sha256 } = imageOf(3000);
    let rewound = false;
    const { smp, device } = setup({
      handle: ({ header, body }, fake) => {
        if (header.group === SmpGroup.IMAGE && !rewound && (body['off'] as number) > 1500 && fake.upload) {
          rewound = true;
          fake.upload.off = 700;
          return { off: 700 };
        }
        return undefined;
      },
    });
    await smp.imageUpload(image, { sha256 });
    expect(rewound).toBe(true);
    expect(device.upload?.data).toEqual(image);
  });

  test('a chunk whose answer is lost is sent again (the offset makes it safe)', async () => {
    const { image, sha256 } = imageOf(2000);
    let dropped = false;
    const { smp, device } = setup(
      {
        handle: ({ header, body }) => {
          if (header.group === SmpGroup.IMAGE && body['off'] !== 0 && !dropped) {
            dropped = true;
            return 'silence';
          }
          return undefined;
        },
      },
      { timeoutMs: 60 },
    );
    await smp.imageUpload(image, { sha256 });
    expect(dropped).toBe(true);
    expect(device.upload?.data).toEqual(image);
  });

  test('a device too small for the request halves the chunk on EMSGSIZE', async () => {
    const { image, sha256 } = imageOf(2000);
    const { smp, device } = setup({
      handle: ({ header, body }) =>
        header.group === SmpGroup.IMAGE && (body['data'] as Uint8Array).length > 150 ? { rc: MgmtErr.EMSGSIZE } : undefined,
    });
    await smp.imageUpload(image, { sha256 });
    expect(device.upload?.data).toEqual(image);
  });

  test("the device's hash check failing is an error, not a success", async () => {
    const { image, sha256 } = imageOf(1000);
    const { smp } = setup({
      handle: ({ header, body }, fake) => {
        if (header.group !== SmpGroup.IMAGE || !fake.upload) return undefined;
        const end = (body['off'] as number) + (body['data'] as Uint8Array).length;
        return end >= 1000 ? { off: 1000, match: false } : undefined;
      },
    });
    const error = await fieldbenchErrorOf(smp.imageUpload(image, { sha256 }));
    expect(error.message).toContain('hash does not match');
  });

  test('cancelling stops before the next chunk and says where the device stands', async () => {
    const { image, sha256 } = imageOf(6000);
    const { smp, device } = setup();
    const controller = new AbortController();
    const error = await fieldbenchErrorOf(
      smp.imageUpload(image, { sha256, signal: controller.signal, onProgress: (sent) => (sent >= 2000 ? controller.abort() : undefined) }),
    );
    expect(error).toBeInstanceOf(SmpUploadCancelledError);
    const cancelled = error as SmpUploadCancelledError;
    expect(cancelled.offset).toBe(device.upload?.off);
    expect(cancelled.message).toBe(`upload cancelled at byte ${cancelled.offset} of 6000`);
    expect(cancelled.offset).toBeGreaterThanOrEqual(2000);
    // The same image again picks up where it stopped.
    const progress: number[] = [];
    await smp.imageUpload(image, { sha256, onProgress: (sent) => progress.push(sent) });
    expect(progress[0]).toBe(cancelled.offset);
    expect(device.upload?.data).toEqual(image);
  });

  test('a device that never moves the offset is reported as stuck', async () => {
    const { image, sha256 } = imageOf(2000);
    const { smp } = setup({ handle: ({ header }) => (header.group === SmpGroup.IMAGE ? { off: 0 } : undefined) });
    expect((await fieldbenchErrorOf(smp.imageUpload(image, { sha256 }))).message).toContain('stopped taking data at byte 0');
  });

  test('the chunk size is the same rule over bare packets (BLE): the largest request that fits the buffer', () => {
    const bare = { name: 'bare packets', encode: (p: Uint8Array) => p, decoder: () => new SmpSerialDecoder(), framedSize: (length: number) => length, bufferedSize: (length: number) => length };
    const fields = { off: 70_000 };
    const data = largestUploadChunk(fields, 10_000, 256, bare);
    const size = (d: number) => SMP_HEADER_SIZE + encodeCbor(uploadRequestBody(fields, new Uint8Array(d))).length;
    expect(size(data)).toBeLessThanOrEqual(256);
    expect(size(data + 1)).toBeGreaterThan(256);
    expect(largestUploadChunk(fields, 10, 256, bare)).toBe(10);
    expect(largestUploadChunk(fields, 10_000, 20, bare)).toBe(0);
  });

  test('bad arguments are refused before anything is sent', async () => {
    const { image, sha256 } = imageOf(100);
    const { smp, device } = setup();
    expect((await fieldbenchErrorOf(smp.imageUpload(new Uint8Array(0), { sha256 }))).code).toBe('invalid-request');
    expect((await fieldbenchErrorOf(smp.imageUpload(image, { sha256: sha256.subarray(0, 20) }))).message).toContain('32 bytes');
    expect((await fieldbenchErrorOf(smp.imageUpload(image, { sha256: new Uint8Array(32) }))).message).toContain('not the SHA-256 of the image');
    expect(device.requests).toHaveLength(0);
  });
});

describe('SmpClient pipelined image upload', () => {
  const uploadsOf = (device: FakeDevice) => device.requests.filter((r) => r.header.group === SmpGroup.IMAGE);
  const mostInFlight = (device: FakeDevice) => Math.max(...uploadsOf(device).map((r) => r.unanswered));

  test('keeps up to three chunk requests in flight, never more than buf_count − 1, and one without parameters', async () => {
    const { image, sha256 } = imageOf(12_000);
    const cases: [FakeOptions, SmpClientOptions, number][] = [
      [{}, {}, 3],
      [{}, { uploadWindow: 2 }, 2],
      [{ bufCount: 8 }, { uploadWindow: 5 }, 5],
      [{ bufCount: 3 }, {}, 2],
      [{ bufCount: 2 }, {}, 1],
      [{ bufSize: 'unsupported' }, { uploadWindow: 4 }, 1],
    ];
    for (const [fake, client, window] of cases) {
      const { smp, device } = setup({ bufSize: 384, answerDelayMs: 2, ...fake }, client);
      const progress: number[] = [];
      const result = await smp.imageUpload(image, { sha256, onProgress: (sent) => progress.push(sent) });
      expect(device.upload?.data).toEqual(image);
      expect(result.match).toBe(true);
      expect(mostInFlight(device)).toBe(window);
      expect(progress).toEqual([...new Set(progress)].sort((a, b) => a - b));
      expect(progress.at(-1)).toBe(12_000);
      // The first chunk goes alone: it may be answered with a resume offset.
      expect(uploadsOf(device)[1]!.answeredBefore).toBeGreaterThan(uploadsOf(device)[0]!.answeredBefore);
    }
  });

  test('window 1 is stop-and-wait exactly as before', async () => {
    const { image, sha256 } = imageOf(5000);
    const { smp, device } = setup({ bufSize: 384, answerDelayMs: 2 }, { uploadWindow: 1 });
    const result = await smp.imageUpload(image, { sha256 });
    expect(device.upload?.data).toEqual(image);
    // Every request reached the device only after the one before it was answered.
    expect(device.requests.every((request, index) => request.answeredBefore === index)).toBe(true);
    expect(result.requests).toBe(uploadsOf(device).length);
  });

  test('a chunk the device never received: the next answer names its offset and the upload resumes there, without waiting for a deadline', async () => {
    const { image, sha256 } = imageOf(12_000);
    let lost: number | null = null;
    const { smp, device } = setup(
      {
        bufSize: 384,
        answerDelayMs: 2,
        // The fourth upload frame is lost on the line: the device neither takes nor answers it.
        handle: ({ header, body }) => {
          if (header.group !== SmpGroup.IMAGE || lost !== null || uploadsOf(device).length < 4) return undefined;
          lost = body['off'] as number;
          return 'silence';
        },
      },
      { timeoutMs: 3000 },
    );
    const started = Date.now();
    const progress: number[] = [];
    const result = await smp.imageUpload(image, { sha256, onProgress: (sent) => progress.push(sent) });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(device.upload?.data).toEqual(image);
    expect(result.match).toBe(true);
    const offsets = uploadsOf(device).map((r) => r.body['off']);
    expect(lost).not.toBeNull();
    expect(offsets.filter((off) => off === lost)).toHaveLength(2);
    expect(progress).toEqual([...new Set(progress)].sort((a, b) => a - b));
  });

  test('the device rewinds mid-window: the answers to what was in flight are ignored, the upload follows it back, progress never goes back', async () => {
    const { image, sha256 } = imageOf(12_000);
    let rewound = false;
    const { smp, device } = setup({
      bufSize: 384,
      answerDelayMs: 2,
      handle: ({ header, body }, fake) => {
        if (header.group === SmpGroup.IMAGE && !rewound && (body['off'] as number) > 6000 && fake.upload) {
          rewound = true;
          fake.upload.off = 700;
          return { off: 700 };
        }
        return undefined;
      },
    });
    const progress: number[] = [];
    const result = await smp.imageUpload(image, { sha256, onProgress: (sent) => progress.push(sent) });
    expect(rewound).toBe(true);
    expect(device.upload?.data).toEqual(image);
    expect(result.match).toBe(true);
    expect(progress).toEqual([...new Set(progress)].sort((a, b) => a - b));
    const offsets = uploadsOf(device).map((r) => r.body['off'] as number);
    const back = offsets.indexOf(700);
    // After the rewind, one request alone until the device confirms the offset.
    expect(uploadsOf(device)[back + 1]!.unanswered).toBe(1);
  });

  test('stray and late answers are ignored', async () => {
    const { image, sha256 } = imageOf(8000);
    const { smp, device } = setup({ bufSize: 384, answerDelayMs: 1, stray: true });
    const result = await smp.imageUpload(image, { sha256 });
    expect(device.upload?.data).toEqual(image);
    expect(result.match).toBe(true);
    expect(await smp.echo('after')).toBe('after');
  });

  test('an answer lost at the end of the window is asked again after its deadline', async () => {
    const { image, sha256 } = imageOf(3000);
    let dropped = false;
    const { smp, device } = setup(
      {
        bufSize: 384,
        answerDelayMs: 1,
        handle: ({ header, body }) => {
          if (header.group !== SmpGroup.IMAGE || dropped) return undefined;
          const end = (body['off'] as number) + (body['data'] as Uint8Array).length;
          if (end < 3000) return undefined;
          dropped = true;
          return 'silence';
        },
      },
      { timeoutMs: 80 },
    );
    const result = await smp.imageUpload(image, { sha256 });
    expect(dropped).toBe(true);
    expect(result.match).toBe(true);
    expect(device.upload?.data).toEqual(image);
  });

  test('a device that never answers uploads fails with the time-out after the retries', async () => {
    const { image, sha256 } = imageOf(3000);
    const { smp, device } = setup({ bufSize: 384, handle: ({ header }) => (header.group === SmpGroup.IMAGE ? 'silence' : undefined) }, { timeoutMs: 40, retries: 2 });
    const error = await fieldbenchErrorOf(smp.imageUpload(image, { sha256 }));
    expect(error.code).toBe('timeout');
    expect(uploadsOf(device)).toHaveLength(3);
  });

  test('cancel mid-window stops sending, waits for the answers in flight and reports the device offset', async () => {
    const { image, sha256 } = imageOf(12_000);
    const { smp, device } = setup({ bufSize: 384, answerDelayMs: 2 });
    const controller = new AbortController();
    const error = await fieldbenchErrorOf(
      smp.imageUpload(image, { sha256, signal: controller.signal, onProgress: (sent) => (sent >= 3000 ? controller.abort() : undefined) }),
    );
    expect(error).toBeInstanceOf(SmpUploadCancelledError);
    const cancelled = error as SmpUploadCancelledError;
    expect(cancelled.offset).toBe(device.upload?.off);
    expect(cancelled.offset).toBeGreaterThanOrEqual(3000);
    expect(cancelled.offset).toBeLessThan(12_000);
    // Every request sent was answered before the promise settled: nothing is left on the line.
    expect(device.answered).toBe(device.requests.length);
    expect(await smp.echo('next')).toBe('next');
    const progress: number[] = [];
    await smp.imageUpload(image, { sha256, onProgress: (sent) => progress.push(sent) });
    expect(progress[0]).toBe(cancelled.offset);
    expect(device.upload?.data).toEqual(image);
  });

  test('other requests wait for a pipelined upload to finish', async () => {
    const { image, sha256 } = imageOf(8000);
    const { smp, device } = setup({ bufSize: 384, answerDelayMs: 1 });
    let echo: Promise<string> | null = null;
    await smp.imageUpload(image, { sha256, onProgress: () => void (echo ??= smp.echo('queued')) });
    expect(await echo).toBe('queued');
    const echoAt = device.requests.findIndex((r) => r.header.group === SmpGroup.OS && r.header.command === OsCommand.ECHO);
    expect(echoAt).toBe(device.requests.length - 1);
    expect(device.requests[echoAt]!.unanswered).toBe(1);
  });
});
