// The bytes an SMP image upload puts on a serial console, each way, worked out from the
// encoding alone (not from the client's own sizing), so a benchmark can hold a measured
// upload against the wire time it cannot go below.
import type { CborValue } from '../src-main/protocols/cbor/cbor';
import { ImageCommand, OsCommand, SmpGroup } from '../src-main/protocols/smp/smp-groups';
import { encodeSmpPacket, SmpOp } from '../src-main/protocols/smp/smp-packet';
import { SMP_SERIAL_BUFFER_OVERHEAD, SMP_SERIAL_DEFAULT_LINE_LENGTH, smpSerialFramedSize } from '../src-main/protocols/smp/smp-serial';
import { type UploadRequestFields, uploadRequestBody } from '../src-main/protocols/smp/smp-upload-chunk';
import { SMP_BUF_COUNT } from '../src-main/virtual/sensor-node/sensor-node-smp';

export interface UploadWire {
  /** Every byte of every request frame host → device: markers, base64, newlines. */
  hostToDevice: number;
  /** Every byte of every answer frame device → host. */
  deviceToHost: number;
  requests: number;
  /** The largest chunk of image data one request carried. */
  chunk: number;
}

function requestPacket(fields: UploadRequestFields, data: Uint8Array): Uint8Array {
  const body = uploadRequestBody(fields, data) as CborValue;
  return encodeSmpPacket({ version: 2, op: SmpOp.WRITE, flags: 0, group: SmpGroup.IMAGE, sequence: 0, command: ImageCommand.UPLOAD }, body);
}

function answerPacket(body: CborValue, op: number, group: number, command: number): Uint8Array {
  return encodeSmpPacket({ version: 2, op: op as SmpOp, flags: 0, group, sequence: 0, command }, body);
}

/**
 * The largest chunk at each offset whose packet fits the device buffer decoded (Zephyr and
 * MCUboot serial recovery decode length + packet + CRC into one buf_size buffer), and the
 * frame bytes of every request and answer of the upload, the parameters exchange included.
 */
export function uploadOnTheWire(image: Uint8Array, sha: Uint8Array, bufSize: number, lineLength = SMP_SERIAL_DEFAULT_LINE_LENGTH): UploadWire {
  const framed = (packet: Uint8Array): number => smpSerialFramedSize(packet.length, lineLength);
  let hostToDevice = framed(answerPacket({}, SmpOp.READ, SmpGroup.OS, OsCommand.MCUMGR_PARAMS));
  let deviceToHost = framed(answerPacket({ buf_size: bufSize, buf_count: SMP_BUF_COUNT }, SmpOp.READ_RSP, SmpGroup.OS, OsCommand.MCUMGR_PARAMS));
  let offset = 0;
  let requests = 0;
  let chunk = 0;
  while (offset < image.length) {
    const fields: UploadRequestFields = offset === 0 ? { off: 0, len: image.length, sha } : { off: offset };
    const fits = (d: number) => requestPacket(fields, image.subarray(offset, offset + d)).length + SMP_SERIAL_BUFFER_OVERHEAD <= bufSize;
    let low = 0;
    let high = Math.min(bufSize, image.length - offset) + 1;
    while (high - low > 1) {
      const middle = (low + high) >> 1;
      if (fits(middle)) low = middle;
      else high = middle;
    }
    if (low === 0) throw new Error(`buf_size ${bufSize} holds no image data`);
    hostToDevice += framed(requestPacket(fields, image.subarray(offset, offset + low)));
    offset += low;
    const body = offset === image.length ? { off: offset, match: true } : { off: offset };
    deviceToHost += framed(answerPacket(body, SmpOp.WRITE_RSP, SmpGroup.IMAGE, ImageCommand.UPLOAD));
    requests += 1;
    chunk = Math.max(chunk, low);
  }
  return { hostToDevice, deviceToHost, requests, chunk };
}
