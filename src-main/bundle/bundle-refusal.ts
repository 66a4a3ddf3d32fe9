// Every reason a bundle is refused on import, as one kind of error: invalid-request at the
// 'import bundle' step, naming the bundle and what to do next. Nothing is written before the
// whole bundle has passed, so every refusal also means the case store was left untouched.
import { FieldbenchError } from '../api/errors';

export const IMPORT_STEP = 'import bundle';

const DEFAULT_HINT = 'Ask the sender to export the case again from Fieldbench and send the new file; nothing was imported.';

export function bundleRefused(bundle: string, reason: string, hint: string = DEFAULT_HINT): FieldbenchError {
  return new FieldbenchError({
    code: 'invalid-request',
    message: `${bundle} was not imported: ${reason}`,
    device: bundle,
    step: IMPORT_STEP,
    hint,
  });
}
