import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstalledRevision, InstalledRevisionStore } from '../../core/ports/installed-revision-store.ts';
import { writeFileAtomic } from './atomic-file.ts';

/** `<stateDirectory>/<certificateId>.installed.json`, written atomically after each install. */
export class InstalledRevisionFile implements InstalledRevisionStore {
  constructor(private readonly directory: string) {}

  async get(certificateId: string): Promise<InstalledRevision | null> {
    try {
      const record = JSON.parse(await readFile(this.path(certificateId), 'utf8')) as InstalledRevision;
      return typeof record.revision === 'number' && record.certificateId === certificateId ? record : null;
    } catch {
      // Missing or unreadable: the agent compares bytes and converges, so no record is safe.
      return null;
    }
  }

  async put(record: InstalledRevision): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o750 });
    await writeFileAtomic(
      this.path(record.certificateId),
      Buffer.from(`${JSON.stringify(record, null, 2)}\n`),
      {
        mode: 0o640,
      },
    );
  }

  async remove(certificateId: string): Promise<void> {
    await rm(this.path(certificateId), { force: true });
  }

  private path(certificateId: string): string {
    return join(this.directory, `${certificateId}.installed.json`);
  }
}
