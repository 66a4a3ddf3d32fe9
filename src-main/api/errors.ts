// Errors that cross the contract. Every failure a user can meet is one of these codes,
// with a message that names the device and the step, and a hint saying what to do next.
// This module imports nothing: protocols, core, bindings and renderer all share it.

export const errorCodes = [
  'invalid-request', // payload failed schema validation
  'unknown-channel', // no such request in the contract
  'forbidden', // wrong sender, missing token, bad Origin
  'not-found', // device, case, note or profile id does not exist
  'timeout', // a device did not answer before its deadline
  'device-error', // the device answered, but with an error
  'device-busy', // another operation holds the device
  'device-gone', // the device was unplugged or its link closed
  'profile-error', // a device profile is broken or does not fit the device
  'unavailable', // a subsystem cannot work here (no udevadm, no socat, no USB bus)
  'store-error', // the case store refused a write
  'conflict', // it changed since the client read it (another window saved first): reload, then retry
  'internal', // a bug: reported, never swallowed
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ApiErrorShape {
  code: ErrorCode;
  message: string;
  /** The device this is about, as a person would name it ("/dev/ttyUSB0", "Sensor Node SN-0042"). */
  device?: string;
  /** The step that failed ("read diagnostics: battery", "open port"). */
  step?: string;
  /** What to do next, in one sentence. */
  hint?: string;
  /** Field-level problems for invalid-request. */
  issues?: { path: string; message: string }[];
}

/** The one error class core code throws on purpose. Anything else reaching a binding is a bug. */
export class FieldbenchError extends Error implements ApiErrorShape {
  readonly code: ErrorCode;
  readonly device?: string;
  readonly step?: string;
  readonly hint?: string;
  readonly issues?: { path: string; message: string }[];

  constructor(shape: ApiErrorShape, options?: { cause?: unknown }) {
    super(shape.message, options);
    this.name = 'FieldbenchError';
    this.code = shape.code;
    if (shape.device !== undefined) this.device = shape.device;
    if (shape.step !== undefined) this.step = shape.step;
    if (shape.hint !== undefined) this.hint = shape.hint;
    if (shape.issues !== undefined) this.issues = shape.issues;
  }

  toShape(): ApiErrorShape {
    const shape: ApiErrorShape = { code: this.code, message: this.message };
    if (this.device !== undefined) shape.device = this.device;
    if (this.step !== undefined) shape.step = this.step;
    if (this.hint !== undefined) shape.hint = this.hint;
    if (this.issues !== undefined) shape.issues = this.issues;
    return shape;
  }
}

export function isFieldbenchError(value: unknown): value is FieldbenchError {
  return value instanceof FieldbenchError;
}

/** One line for a log or a terminal: "timeout: /dev/pts/3: read diagnostics: battery: no answer in 2000 ms. Check ..." */
export function formatError(error: ApiErrorShape): string {
  const parts = [error.device, error.step, error.message].filter((p): p is string => Boolean(p));
  const text = `${error.code}: ${parts.join(': ')}`;
  return error.hint ? `${text}. ${error.hint}` : text;
}
