import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../../core/errors.ts';

/** Reads a file named by a person; a missing or unreadable file is an input error with one clear line. */
export async function readInputFile(path: string, what = 'file'): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : code;
    throw new InvalidInputError(`cannot read ${what} ${path}: ${reason}`, { cause: error });
  }
}
