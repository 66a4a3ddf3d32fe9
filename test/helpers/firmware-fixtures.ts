// The reference firmware files made by imgtool and srecord, read in place, and what
// expected.json in each folder says the reference tools found in them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRMWARE_FIXTURES } from './fixtures';

export interface McubootExpectation {
  file: string;
  format: 'mcuboot';
  load_addr: number;
  header_size: number;
  protected_tlv_size: number;
  image_size: number;
  flags: number;
  version: string;
  sha256_tlv: string;
  tlvs: { type: number; len: number; protected: boolean }[];
  sha256_computed: string;
  imgtool_verify: Record<string, 'valid' | 'bad-hash' | 'no-signature-for-key'>;
}

export interface SegmentsExpectation {
  file: string;
  format: 'ihex' | 'srec';
  segments: { address: number; size: number; sha256: string }[];
}

export function fixturePath(folder: 'mcuboot' | 'ihex', file: string): string {
  return join(FIRMWARE_FIXTURES, folder, file);
}

export function readFixture(folder: 'mcuboot' | 'ihex', file: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(folder, file)));
}

export function readExpectations<T>(folder: 'mcuboot' | 'ihex'): T[] {
  return JSON.parse(readFileSync(fixturePath(folder, 'expected.json'), 'utf8')) as T[];
}

/** The fields of an ImageInspection that imgtool's findings fix. */
export function inspectionPerImgtool(expected: McubootExpectation) {
  return {
    format: 'mcuboot',
    version: expected.version,
    headerSize: expected.header_size,
    imageSize: expected.image_size,
    sha256: expected.sha256_tlv,
    hashOk: expected.sha256_tlv === expected.sha256_computed,
  };
}

/** TLVs in expected.json's terms. */
export function tlvRows(tlvs: { type: number; length: number; protected: boolean }[]): McubootExpectation['tlvs'] {
  return tlvs.map((t) => ({ type: t.type, len: t.length, protected: t.protected }));
}
