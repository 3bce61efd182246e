/** What this node last installed of a certificate, remembered beside the keystores. */
export interface InstalledRevision {
  readonly certificateId: string;
  readonly revision: number;
  readonly serial: string;
  /** SHA-256 of every installed file, by path: drift on disk is noticed by comparing bytes. */
  readonly files: Readonly<Record<string, string>>;
  readonly installedAt: string;
}

/**
 * The node-local memory of installed revisions; it is what makes revisions monotonic on a node (a
 * late or duplicate event for a revision at or below this one changes nothing).
 *
 * - Errors: `get` of a missing or unreadable record returns null (the node then compares bytes and
 *   converges on the current revision); `put` throws when it cannot write.
 * - Idempotency: `put` replaces the record atomically.
 * - Concurrency: one agent per node and certificate.
 */
export interface InstalledRevisionStore {
  get(certificateId: string): Promise<InstalledRevision | null>;
  put(record: InstalledRevision): Promise<void>;
  /** Forgets the certificate (its files were purged); nothing happens when there is no record. */
  remove(certificateId: string): Promise<void>;
}
