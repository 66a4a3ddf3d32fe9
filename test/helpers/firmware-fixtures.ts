// The reference firmware files made by imgtool and srecord, read where they live (beside
// the repository, the same path in CI) and never copied in. expected.json in each folder
// is what the reference tools say about them.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIRMWARE_FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/fixtures/firmware');

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
