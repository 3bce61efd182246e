import { AcmeHaError } from '../../errors.ts';

/**
 * - `applied`: written, reloaded, probe confirmed; `unchanged`: bytes on disk were already right;
 * - `up-to-date`: the installed revision is the desired one, nothing to do; `obsolete`: the desired
 *   revision is older than the installed one (never downgrade); `no-revision`: nothing published;
 * - `rejected`: verification failed, nothing written; `rolled-back`: probe or reload failed, backup
 *   restored; `halted`: the rollout was stopped by a failure elsewhere; `failed`: another error;
 *   `interrupted`: shutdown or no slot in time, nothing changed, try again later;
 * - `retired`: the certificate left the configuration, nothing installed, the files stay;
 *   `purged`: retired, and its files removed (`agent sync --purge`).
 */
export type SyncResult =
  | 'applied'
  | 'unchanged'
  | 'up-to-date'
  | 'obsolete'
  | 'no-revision'
  | 'rejected'
  | 'rolled-back'
  | 'halted'
  | 'failed'
  | 'interrupted'
  | 'retired'
  | 'purged';

export interface SyncOutcome {
  readonly certificateId: string;
  readonly result: SyncResult;
  /** The revision this sync aimed at. */
  readonly revision: number | null;
  /** The revision installed on the node afterwards. */
  readonly installedRevision: number | null;
  /** notAfter of the revision aimed at (ISO), for expiry metrics. */
  readonly notAfter: string | null;
  readonly errorCode: string | null;
  readonly message: string | null;
  readonly durationMs: number;
}

/** Results after which a queue message has done its job (applied, or judged and reported). */
export const SETTLED_RESULTS: ReadonlySet<SyncResult> = new Set([
  'applied',
  'unchanged',
  'up-to-date',
  'obsolete',
  'no-revision',
  'rolled-back',
  'halted',
  'retired',
  'purged',
]);

/** Results that mean this node needs attention (for exit codes and metrics). */
export const FAILED_RESULTS: ReadonlySet<SyncResult> = new Set(['rejected', 'rolled-back', 'failed']);

/** An error as an outcome and a status record carry it: our error code (or `UNEXPECTED`) and message. */
export function failureOf(error: unknown): { readonly code: string; readonly message: string } {
  return {
    code: error instanceof AcmeHaError ? error.code : 'UNEXPECTED',
    message: error instanceof Error ? error.message : String(error),
  };
}

/** Results that only observe (nothing to do, nothing published): they add nothing to another outcome. */
const OBSERVING_RESULTS: ReadonlySet<SyncResult> = new Set([
  'up-to-date',
  'obsolete',
  'no-revision',
  'retired',
]);

/**
 * Adds the outcome of one more sync to those of a run (`agent sync`), one per certificate and
 * revision: the reconcile and a queued event of the same revision sync it twice (the event then
 * finds it up to date), which is one thing that happened, not two. A later outcome of the same
 * revision replaces the earlier one, in its place — it is where the node ended up (`applied` after an
 * `interrupted` or a `failed`) — unless it merely observes what the earlier one did (`up-to-date`
 * after `applied`, `rejected` or `rolled-back`). Pure: returns a new list.
 */
export function withOutcome(outcomes: readonly SyncOutcome[], next: SyncOutcome): SyncOutcome[] {
  const index = outcomes.findIndex(
    (o) => o.certificateId === next.certificateId && o.revision === next.revision,
  );
  const earlier = outcomes[index];
  if (!earlier) return [...outcomes, next];
  if (OBSERVING_RESULTS.has(next.result) && !OBSERVING_RESULTS.has(earlier.result)) return [...outcomes];
  return outcomes.map((o, i) => (i === index ? next : o));
}
