import type { Rollout } from './rollout-store.ts';

/**
 * What an operator does to a rollout (`acme-ha rollout pause|resume`), on the same records as
 * RolloutStore. Neither orders anything: a halted rollout continues with the revision it has.
 *
 * - Errors: adapter errors propagate. A rollout that cannot take the change is not an error: the
 *   record comes back as it is (null when nobody joined the rollout), and the caller says why.
 * - Idempotency: pausing a paused rollout and resuming one that is neither paused nor halted change
 *   nothing.
 * - Concurrency: each is one conditional write; a node that took its slot before a pause finishes
 *   its install (a pause stops new slots, not work in progress).
 */
export interface RolloutSteering {
  get(certificateId: string, revision: number): Promise<Rollout | null>;
  /** `canary` or `rolling`, not paused → paused: no node is granted a new slot until resumed. */
  pause(certificateId: string, revision: number, by: string, now: Date): Promise<Rollout | null>;
  /**
   * Paused → not paused. Halted → `canary` again, not paused: the node that failed is named canary
   * with its deadline already passed, so the first node to join after the resume (the fixed node,
   * or any other) takes the canary role and proves the revision before the others follow.
   */
  resume(certificateId: string, revision: number, now: Date): Promise<Rollout | null>;
}
