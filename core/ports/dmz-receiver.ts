import type { SyncResult } from '../agent/sync/outcome.ts';
import type { RevisionPush } from '../dmz/revision-push.ts';

/**
 * The outcome of a push: the sync results of the agent's use case (see `SyncResult`), plus `refused`
 * for a push turned away before the sync (malformed, hash mismatch, certificate not served there).
 */
export type DmzResult = SyncResult | 'refused';

/** What a DMZ receiver has installed (and probed) of one certificate. */
export interface DmzInstalled {
  readonly certificateId: string;
  /** null before the first push. */
  readonly revision: number | null;
  readonly serial: string | null;
}

/**
 * The receiver's answer to a push: the outcome of the same sync use case the agent runs.
 * `applied`, `unchanged` and `up-to-date` mean the receiver now serves `installedRevision`;
 * `obsolete` means the push was older than what it has (refused without effect); `rejected` means
 * verification failed and nothing was written; `rolled-back` means the new certificate was not
 * served and the previous one is back. Messages are for operators and never carry paths or stacks.
 */
export interface DmzAnswer {
  readonly certificateId: string;
  readonly result: DmzResult;
  readonly revision: number | null;
  readonly installedRevision: number | null;
  /** Serial of the installed (served) revision, when known. */
  readonly servedSerial: string | null;
  readonly errorCode: string | null;
  readonly message: string | null;
}

/**
 * One DMZ receiver as seen from an internal agent (mutual TLS in production).
 *
 * - Errors: throws {@link DmzUnreachableError} (retryable) when no answer arrives: connection
 *   refused, TLS failure or a pin mismatch, timeout, or an answer that is not a receiver's. A refusal
 *   by the receiver (older revision, failed verification, rollback) is an answer, not an error.
 * - Idempotency: pushing a revision the receiver already has is answered `up-to-date` without effect,
 *   so two pushers may race safely; `installed` is read-only.
 * - Concurrency: the receiver serialises pushes per certificate; callers may call in parallel.
 */
export interface DmzReceiverClient {
  /** `signal` aborts the request (shutdown); it then throws DmzUnreachableError. */
  installed(certificateId: string, signal?: AbortSignal): Promise<DmzInstalled>;
  push(push: RevisionPush, signal?: AbortSignal): Promise<DmzAnswer>;
}
