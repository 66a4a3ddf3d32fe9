// How SMP packets travel on a given transport. The client is written against this, so the
// serial console framing (base64 lines) and BLE's bare packets (reassembled by the header's
// length) are interchangeable without touching it.

export interface SmpDecodeResult {
  /** Whole SMP packets (header and body), in arrival order. */
  packets: Uint8Array[];
  /** Bytes that were not part of any frame: console output sharing the line. */
  text: Uint8Array;
  /** Frames that were rejected and skipped (bad check, bad encoding, abandoned), in words. */
  errors: string[];
}

export interface SmpFrameDecoder {
  /** Feed received bytes in any chunking; never throws on bad input, it reports and resynchronises. */
  push(bytes: Uint8Array): SmpDecodeResult;
}

export interface SmpFraming {
  /** For messages: "serial (127-byte lines)". */
  readonly name: string;
  encode(packet: Uint8Array): Uint8Array;
  /** A fresh decoder; it keeps partial frames between pushes. */
  decoder(): SmpFrameDecoder;
  /** Bytes on the wire for one packet of `packetLength` bytes, every marker and separator counted. */
  framedSize(packetLength: number): number;
  /**
   * What the device must hold in its buffer to take in one packet of `packetLength` bytes:
   * the figure that has to fit the buffer size it reports (MCUmgr parameters `buf_size`).
   * Devices decode as the frames come in, so this is not the framed size.
   */
  bufferedSize(packetLength: number): number;
}
