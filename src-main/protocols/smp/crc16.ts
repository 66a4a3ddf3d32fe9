// CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection, no final XOR): the check
// SMP's serial transport puts after each packet. A 256-entry table keeps a 64 KiB packet
// well under a millisecond.

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** CRC-16/XMODEM of `data`; pass a previous result as `crc` to continue over more bytes. */
export function crc16Xmodem(data: Uint8Array, crc = 0): number {
  let value = crc & 0xffff;
  for (const byte of data) value = ((value << 8) & 0xffff) ^ (TABLE[((value >> 8) ^ byte) & 0xff] ?? 0);
  return value;
}
