import { randomBytes } from 'node:crypto';
import { constants, type FileHandle, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidInputError } from '../../core/errors.ts';

export interface AtomicWriteOptions {
  /** File mode of the new file; keystores hold private keys, so 0600 unless told otherwise. */
  readonly mode?: number;
  /** Numeric owner and group to give the file before it appears (root only); unchanged when absent. */
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

/**
 * Replaces `path` with `bytes` so that a reader, or a crash at any instant, sees either the complete
 * old file or the complete new one: temp file in the same directory, fsync, chmod, rename, fsync of
 * the directory. The temp file is created 0600 and removed on failure.
 * @throws InvalidInputError when the directory does not exist
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  await requireDirectory(dir);
  await removeStaleTemps(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await handle.writeFile(bytes);
    if (options.uid !== undefined || options.gid !== undefined)
      await handle.chown(options.uid ?? -1, options.gid ?? -1);
    await handle.chmod(options.mode ?? 0o600);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

export async function requireDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new InvalidInputError(`output directory ${dir} does not exist`);
}

/** fsync of a directory: makes a rename in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes what a crash in the middle of a write of `path` left beside it: our temp files
 * (`.<name>.<hex>.tmp`, and `<name>.<hex>.tmp` of a backup link). They may hold key material, so
 * they must not outlive the next write. Only one writer per path is supported, so none is in use.
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const name = escapeRegExp(basename(path));
  const pattern = new RegExp(`^\\.?${name}\\.[0-9a-f]{12}\\.tmp$`);
  const dir = dirname(path);
  const entries = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    entries.filter((entry) => pattern.test(entry)).map((entry) => rm(join(dir, entry), { force: true })),
  );
}
