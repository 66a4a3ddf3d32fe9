// Reading fields out of a device's CBOR answer with the checks a wire value needs: each
// getter names the command and the field when the device sent something else, so a broken
// or unexpected firmware shows up as a clear 'device-error', never as `undefined` downstream.
import { FieldbenchError } from '../../api/errors';
import type { CborValue } from '../cbor/cbor';

export type CborMap = { [key: string]: CborValue };

export function isCborMap(value: CborValue): value is CborMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export class SmpAnswer {
  constructor(
    readonly body: CborMap,
    private readonly device: string,
    private readonly step: string,
  ) {}

  private wrong(key: string, expected: string): FieldbenchError {
    const value = this.body[key];
    const got = value === undefined ? 'nothing' : Array.isArray(value) ? 'a list' : value instanceof Uint8Array ? 'bytes' : typeof value;
    return new FieldbenchError({
      code: 'device-error',
      message: `the answer to ${this.step} has ${got} where ${expected} '${key}' was expected`,
      device: this.device,
      step: this.step,
      hint: 'The device firmware answers this command in a form Fieldbench does not know; check its MCUmgr version.',
    });
  }

  number(key: string): number {
    const value = this.body[key];
    if (typeof value === 'number') return value;
    // 64-bit counters (runtime, statistics) may arrive as bigints; a display needs no more precision.
    if (typeof value === 'bigint') return Number(value);
    throw this.wrong(key, 'a number');
  }

  optionalNumber(key: string): number | null {
    return this.body[key] === undefined ? null : this.number(key);
  }

  string(key: string): string {
    const value = this.body[key];
    if (typeof value === 'string') return value;
    throw this.wrong(key, 'text');
  }

  bytes(key: string): Uint8Array {
    const value = this.body[key];
    if (value instanceof Uint8Array) return value;
    throw this.wrong(key, 'bytes');
  }

  /** Absent means false: Zephyr leaves out the image flags that are not set. */
  flag(key: string): boolean {
    const value = this.body[key];
    if (value === undefined) return false;
    if (typeof value === 'boolean') return value;
    throw this.wrong(key, 'true or false');
  }

  list(key: string): CborValue[] {
    const value = this.body[key];
    if (Array.isArray(value)) return value;
    throw this.wrong(key, 'a list');
  }

  map(key: string): CborMap {
    const value = this.body[key];
    if (value !== undefined && isCborMap(value)) return value;
    throw this.wrong(key, 'a map');
  }

  /** A nested map read the same way, for lists of records and maps of maps. */
  nested(value: CborValue, what: string): SmpAnswer {
    if (!isCborMap(value)) {
      throw new FieldbenchError({
        code: 'device-error',
        message: `the answer to ${this.step} has an entry in '${what}' that is not a map`,
        device: this.device,
        step: this.step,
      });
    }
    return new SmpAnswer(value, this.device, this.step);
  }
}
