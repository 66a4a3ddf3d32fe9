// `fieldbench image inspect FILE [--key PUB.pem ...] [--json]`: what a firmware file is,
// whether it is intact, and whether each key signed it, before it goes near a device.
// It goes through the contract like every command, but starts no device discovery.
import { basename } from 'node:path';
import type { ImageInspection } from '../../api/schemas';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson, table } from '../output';
import { readInputFile, readKeyFiles } from '../read-files';

export async function imageInspectCommand(session: CoreSessionOptions, file: string, keyPaths: string[], json: boolean): Promise<number> {
  const bytes = await readInputFile(file, 'read image');
  const keys = await readKeyFiles(keyPaths);
  return withCore({ ...session, noDevices: true }, async (core) => {
    const inspection = await call(core, 'firmware.inspect', {
      fileName: basename(file),
      contentBase64: Buffer.from(bytes).toString('base64'),
      keys,
    });
    if (json) printJson(session.io, inspection);
    else session.io.out(summary(file, inspection));
    return EXIT_OK;
  });
}

const hex = (value: number) => `0x${value.toString(16)}`;

function summary(file: string, inspection: ImageInspection): string {
  const lines: string[] = [];
  if (inspection.format === 'mcuboot') {
    lines.push(`${file}: MCUboot image ${inspection.version ?? '?'}, ${inspection.imageSize} bytes after a ${hex(inspection.headerSize)}-byte header, load address ${hex(inspection.loadAddress ?? 0)}`);
    lines.push(`hash: ${inspection.hashOk ? 'ok' : 'DOES NOT MATCH'} (${inspection.sha256})`);
    lines.push(`TLVs: ${inspection.tlvs.map((t) => `${t.name}${t.protected ? ' (protected)' : ''}`).join(', ')}`);
    if (inspection.securityCounter !== null) lines.push(`security counter: ${inspection.securityCounter}`);
  } else {
    const kind = { ihex: 'Intel HEX file', srec: 'S-record file', raw: 'raw binary', dfu: 'DFU file', dfuse: 'DfuSe file' }[inspection.format];
    lines.push(`${file}: ${kind}, ${inspection.imageSize} bytes of data in ${inspection.segments.length} segment(s), sha256 ${inspection.sha256}`);
    if (inspection.dfu) {
      const { suffix, targets } = inspection.dfu;
      const id = (value: number) => value.toString(16).padStart(4, '0');
      lines.push(`DFU suffix: device ${id(suffix.idVendor)}:${id(suffix.idProduct)}, bcdDevice ${hex(suffix.bcdDevice)}, bcdDFU ${hex(suffix.bcdDFU)}, CRC ${suffix.crc} ${suffix.crcOk ? 'ok' : 'DOES NOT MATCH'}`);
      for (const target of targets ?? []) lines.push(`target alt ${target.alt}${target.name ? ` "${target.name}"` : ''}: ${target.elements.length} element(s)`);
    }
    lines.push(table([['ADDRESS', 'SIZE', 'SHA-256'], ...inspection.segments.map((s) => [hex(s.address), String(s.size), s.sha256])]));
    if (inspection.startAddress !== null) lines.push(`start address: ${hex(inspection.startAddress)}`);
  }
  if (inspection.keys.length > 0) lines.push(table(inspection.keys.map((k) => [`key ${k.key}:`, k.verdict, `(${k.detail})`])));
  for (const warning of inspection.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}
