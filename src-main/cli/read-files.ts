// Files named on the command line, read and written with errors a person understands.
import { readFile, writeFile } from 'node:fs/promises';
import { FieldbenchError } from '../api/errors';

export async function readInputFile(path: string, step: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FieldbenchError({
      code: 'not-found',
      message: code === 'ENOENT' ? `there is no file ${path}` : `cannot read ${path} (${code ?? String(error)})`,
      step,
      hint: 'Check the path.',
    });
  }
}

/** Public keys in PEM, named by the path they were given as. */
export async function readKeyFiles(paths: string[]): Promise<{ name: string; pem: string }[]> {
  return Promise.all(paths.map(async (name) => ({ name, pem: new TextDecoder().decode(await readInputFile(name, 'read key')) })));
}

/** Writes a file the command was told to create, never over an existing one: an export written over another would lose it. */
export async function writeNewFile(path: string, bytes: Uint8Array, step: string): Promise<void> {
  try {
    await writeFile(path, bytes, { flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FieldbenchError({
      code: 'invalid-request',
      message: code === 'EEXIST' ? `${path} already exists` : `cannot write ${path} (${code ?? String(error)})`,
      step,
      hint: code === 'EEXIST' ? 'Give --out a new file name; an existing file is never overwritten.' : 'Check that the folder exists and can be written.',
    });
  }
}
