// Files named on the command line, read with errors a person understands.
import { readFile } from 'node:fs/promises';
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
