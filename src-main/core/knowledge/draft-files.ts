// Writes a draft article into the drafts folder without ever replacing a file: the name is
// taken with an exclusive create, and a taken name moves on to the next "-2", "-3" …
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FieldbenchError } from '../../api/errors';

/** After this many taken names something is wrong with the folder, not the name. */
const MAX_ATTEMPTS = 1000;

/**
 * Writes the text `draft(suffix)` makes under `dir` as `<id>.md`, trying suffixes '', '-2', '-3' …
 * until a name is free. Answers with the path and the id written.
 */
export async function writeNewDraft(dir: string, draft: (suffix: string) => { id: string; text: string }): Promise<{ path: string; id: string }> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw cannotWrite(dir, error);
  }
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const { id, text } = draft(attempt === 1 ? '' : `-${attempt}`);
    const path = join(dir, `${id}.md`);
    try {
      await writeFile(path, text, { encoding: 'utf8', flag: 'wx' });
      return { path, id };
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'EEXIST') continue;
      throw cannotWrite(path, error);
    }
  }
  throw new FieldbenchError({
    code: 'store-error',
    message: `${MAX_ATTEMPTS} drafts of this name already exist in ${dir}`,
    step: 'write article from case',
    hint: 'Publish or delete the old drafts in that folder, then try again.',
  });
}

function cannotWrite(path: string, error: unknown): FieldbenchError {
  return new FieldbenchError(
    {
      code: 'store-error',
      message: `the draft could not be written to ${path}: ${error instanceof Error ? error.message : String(error)}`,
      step: 'write article from case',
      hint: 'Check that the data folder is writable and has free space.',
    },
    { cause: error },
  );
}
