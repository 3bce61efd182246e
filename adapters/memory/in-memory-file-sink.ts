import type { FileSink, FileWrite } from '../../core/ports/file-sink.ts';

/**
 * Files in memory, with the backup semantics of KeystoreFileSink (the backup keeps the replaced
 * file's bytes and mode); counts writes for assertions. Bytes are copied in and out, as a disk does.
 */
export class InMemoryFileSink implements FileSink {
  readonly files = new Map<string, Buffer>();
  readonly backups = new Map<string, Buffer>();
  /** Permission bits by path, of the files written through `write` (and restored). */
  readonly modes = new Map<string, number>();
  readonly writes: string[] = [];
  private readonly backupModes = new Map<string, number>();

  async read(path: string): Promise<Buffer | null> {
    const bytes = this.files.get(path);
    return bytes ? Buffer.from(bytes) : null;
  }

  async write(file: FileWrite): Promise<void> {
    const current = this.files.get(file.path);
    if (current) {
      this.backups.set(file.path, current);
      const mode = this.modes.get(file.path);
      if (mode === undefined) this.backupModes.delete(file.path);
      else this.backupModes.set(file.path, mode);
    }
    this.files.set(file.path, Buffer.from(file.bytes));
    this.modes.set(file.path, file.mode);
    this.writes.push(file.path);
  }

  async restore(path: string): Promise<boolean> {
    const backup = this.backups.get(path);
    if (!backup) return false;
    this.files.set(path, backup);
    const mode = this.backupModes.get(path);
    if (mode === undefined) this.modes.delete(path);
    else this.modes.set(path, mode);
    return true;
  }

  async remove(path: string): Promise<boolean> {
    const existed = this.files.delete(path);
    const backedUp = this.backups.delete(path);
    this.modes.delete(path);
    this.backupModes.delete(path);
    return existed || backedUp;
  }
}
