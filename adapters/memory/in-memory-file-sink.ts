import type { FileSink, FileWrite } from '../../core/ports/file-sink.ts';

/** Files in memory, with the backup semantics of KeystoreFileSink; counts writes for assertions. */
export class InMemoryFileSink implements FileSink {
  readonly files = new Map<string, Buffer>();
  readonly backups = new Map<string, Buffer>();
  readonly writes: string[] = [];

  async read(path: string): Promise<Buffer | null> {
    return this.files.get(path) ?? null;
  }

  async write(file: FileWrite): Promise<void> {
    const current = this.files.get(file.path);
    if (current) this.backups.set(file.path, current);
    this.files.set(file.path, Buffer.from(file.bytes));
    this.writes.push(file.path);
  }

  async restore(path: string): Promise<boolean> {
    const backup = this.backups.get(path);
    if (!backup) return false;
    this.files.set(path, backup);
    return true;
  }
}
