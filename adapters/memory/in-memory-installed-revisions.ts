import type { InstalledRevision, InstalledRevisionStore } from '../../core/ports/installed-revision-store.ts';

export class InMemoryInstalledRevisions implements InstalledRevisionStore {
  readonly records = new Map<string, InstalledRevision>();

  async get(certificateId: string): Promise<InstalledRevision | null> {
    return this.records.get(certificateId) ?? null;
  }

  async put(record: InstalledRevision): Promise<void> {
    this.records.set(record.certificateId, record);
  }

  async remove(certificateId: string): Promise<void> {
    this.records.delete(certificateId);
  }
}
