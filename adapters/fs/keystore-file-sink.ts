import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileSink, FileWrite } from '../../core/ports/file-sink.ts';
import { resolveAccountId } from './account-ids.ts';
import { removeStaleTemps, syncDirectory, writeFileAtomic } from './atomic-file.ts';

/** Suffix of the previous keystore kept beside the live one. */
export const BACKUP_SUFFIX = '.previous';

/**
 * Keystore files on the local disk. `write` keeps the current file as `<path>.previous` (a hard
 * link: same bytes, owner and mode, made atomically by link + rename) and then replaces the file
 * with writeFileAtomic (temp file, fsync, chown/chmod, rename, directory fsync). `restore` brings the
 * backup back the same way, keeping the backup. A crash at any point leaves complete files only.
 */
export class KeystoreFileSink implements FileSink {
  async read(path: string): Promise<Buffer | null> {
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async write(file: FileWrite): Promise<void> {
    const uid = file.owner === undefined ? undefined : await resolveAccountId('user', file.owner);
    const gid = file.group === undefined ? undefined : await resolveAccountId('group', file.group);
    await removeStaleTemps(`${file.path}${BACKUP_SUFFIX}`);
    await replaceWithLink(file.path, `${file.path}${BACKUP_SUFFIX}`).catch((error: NodeJS.ErrnoException) => {
      // No current file (a first install): nothing to back up.
      if (error.code !== 'ENOENT') throw error;
    });
    await writeFileAtomic(file.path, file.bytes, { mode: file.mode, uid, gid });
  }

  async restore(path: string): Promise<boolean> {
    try {
      await replaceWithLink(`${path}${BACKUP_SUFFIX}`, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async remove(path: string): Promise<boolean> {
    const removed = await Promise.all([removeIfThere(path), removeIfThere(`${path}${BACKUP_SUFFIX}`)]);
    if (!removed.some(Boolean)) return false;
    await syncDirectory(dirname(path));
    return true;
  }
}

/** Deletes a file; false when there was none. */
async function removeIfThere(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Makes `to` a second name of `from`'s current file, atomically: a link under a temp name, then rename. */
async function replaceWithLink(from: string, to: string): Promise<void> {
  const temp = `${to}.${randomBytes(6).toString('hex')}.tmp`;
  await link(from, temp);
  try {
    await rename(temp, to);
  } finally {
    // rename() does nothing when both names are already links to the same file (a write that was
    // cut short after its backup step): the temp link would stay behind, key material included.
    await rm(temp, { force: true });
  }
  await syncDirectory(dirname(to));
}
