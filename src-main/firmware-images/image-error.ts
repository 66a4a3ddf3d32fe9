// Every problem with an image file is a FieldbenchError a person can act on: what is wrong,
// where in the file (line or byte offset), and what to do. The file is the request's
// payload, so a bad file is an 'invalid-request'.
import { FieldbenchError } from '../api/errors';

export function imageError(step: string, message: string, hint?: string): FieldbenchError {
  return new FieldbenchError({
    code: 'invalid-request',
    step,
    message,
    hint: hint ?? 'Check that the file is complete and is the one the build produced.',
  });
}

/** Byte offsets are shown in hex as well, because flash maps and hex dumps use hex. */
export function offsetText(offset: number): string {
  return `${offset} (0x${offset.toString(16)})`;
}
