// DfuSe files laid out as dfuse-pack writes them, for the cases the dfu-util fixtures do not
// cover (other alternate settings, elements outside the flash).
import { withDfuSuffix, type DfuIds } from '../../src-main/firmware-images/dfu-file';

export interface DfuseTargetSpec {
  alt: number;
  name?: string;
  elements: { address: number; data: Uint8Array }[];
}

export function dfuseFile(targets: DfuseTargetSpec[], ids: DfuIds = { idVendor: 0x0483, idProduct: 0xdf11 }): Uint8Array {
  const parts: Buffer[] = [];
  for (const target of targets) {
    const elements = Buffer.concat(
      target.elements.map((e) => {
        const header = Buffer.alloc(8);
        header.writeUInt32LE(e.address, 0);
        header.writeUInt32LE(e.data.length, 4);
        return Buffer.concat([header, e.data]);
      }),
    );
    const prefix = Buffer.alloc(274);
    prefix.write('Target', 0, 'latin1');
    prefix.writeUInt8(target.alt, 6);
    prefix.writeUInt32LE(target.name === undefined ? 0 : 1, 7);
    prefix.write(target.name ?? '', 11, 'latin1');
    prefix.writeUInt32LE(elements.length, 266);
    prefix.writeUInt32LE(target.elements.length, 270);
    parts.push(prefix, elements);
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(11);
  head.write('DfuSe', 0, 'latin1');
  head.writeUInt8(1, 5);
  head.writeUInt32LE(11 + body.length + 16, 6);
  head.writeUInt8(targets.length, 10);
  return withDfuSuffix(Buffer.concat([head, body]), { bcdDFU: 0x011a, ...ids });
}
