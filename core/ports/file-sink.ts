/** One file to install: bytes plus the ownership and mode the server needs. */
export interface FileWrite {
  readonly path: string;
  readonly bytes: Uint8Array;
  /** e.g. 0o600 for key material, 0o640 with a group the server runs as. */
  readonly mode: number;
  /** User name or numeric id; unchanged (the agent's own) when absent. */
  readonly owner?: string | undefined;
  readonly group?: string | undefined;
}

/**
 * The node's file system as far as keystores go.
 *
 * - `write` is atomic (a reader or a crash sees the old file or the new one, never a mix) and keeps
 *   the previous content as a backup that `restore` puts back. Errors: the write fails as a whole
 *   and the old file stays.
 * - Idempotency: writing the same bytes twice leaves the same file (and makes the backup equal to
 *   it, so callers skip identical bytes); restoring without a backup returns false.
 * - Concurrency: one writer per path; the agent holds each certificate's files alone.
 */
export interface FileSink {
  /** The file's bytes, or null when it does not exist. */
  read(path: string): Promise<Buffer | null>;
  write(file: FileWrite): Promise<void>;
  /** Puts the backup taken by the last `write` back in place; false when there is none. */
  restore(path: string): Promise<boolean>;
  /** Deletes the file and its backup (`agent sync --purge`); false when neither existed. */
  remove(path: string): Promise<boolean>;
}
