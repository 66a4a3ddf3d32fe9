// The reference firmware files made by imgtool, srecord and dfu-util, read in place, and what
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

/** What dfu-util's dfu-suffix and dfuse-pack put in each .dfu file. */
export interface DfuExpectation {
  file: string;
  format: 'dfu' | 'dfuse';
  suffix: { bcdDevice?: number; idProduct?: number; idVendor?: number; bcdDFU?: number; crc?: string; crc_ok: boolean };
  payload_sha256?: string;
  payload_size?: number;
  targets?: { alt: number; elements: { address: number; size: number; sha256: string }[] }[];
  /** "rejected: …" for a file dfu-util refuses. */
  expect?: string;
}

export type FixtureFolder = 'mcuboot' | 'ihex' | 'dfu';

export function fixturePath(folder: FixtureFolder, file: string): string {
  return join(FIRMWARE_FIXTURES, folder, file);
}

export function readFixture(folder: FixtureFolder, file: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(folder, file)));
}

export function readExpectations<T>(folder: FixtureFolder): T[] {
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
