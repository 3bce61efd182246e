/**
 * The cluster-wide rollout of one revision. The first node to join is the canary: the others wait
 * until it has reloaded and probed successfully (`rolling`), and do not reload at all once any node
 * failed (`halted`).
 */
export interface Rollout {
  readonly certificateId: string;
  readonly revision: number;
  readonly canary: string;
  readonly state: 'canary' | 'rolling' | 'halted';
  /** Nodes reloading this certificate at once; set by the first node, so all nodes agree. */
  readonly maxParallel: number;
  /** When the canary role may be taken over (a canary that crashed must not block the fleet). */
  readonly canaryDeadline: string;
  readonly haltedBy: string | null;
  readonly reason: string | null;
  readonly startedAt: string;
  readonly updatedAt: string;
}

export interface RolloutJoin {
  readonly certificateId: string;
  readonly revision: number;
  readonly nodeId: string;
  readonly maxParallel: number;
  readonly now: Date;
  readonly canaryDeadline: Date;
}

/** The record the first `join` creates: the joining node is the canary. */
export function newRollout(request: RolloutJoin): Rollout {
  return {
    certificateId: request.certificateId,
    revision: request.revision,
    canary: request.nodeId,
    state: 'canary',
    maxParallel: request.maxParallel,
    canaryDeadline: request.canaryDeadline.toISOString(),
    haltedBy: null,
    reason: null,
    startedAt: request.now.toISOString(),
    updatedAt: request.now.toISOString(),
  };
}

/**
 * Rollout records shared by every agent (DynamoDB conditional writes in AWS).
 *
 * - Errors: adapter errors propagate; no method throws for a lost race, it returns the winner's record.
 * - Idempotency: `join` returns the existing record when there is one; `promote` and `halt` may be
 *   repeated; a halted rollout never becomes `rolling` again (the first halt and its reason win).
 * - Concurrency: exactly one caller of `join` becomes the canary; `takeOver` succeeds for exactly one
 *   caller, and only after the deadline while the rollout is still `canary`.
 */
export interface RolloutStore {
  join(request: RolloutJoin): Promise<Rollout>;
  get(certificateId: string, revision: number): Promise<Rollout | null>;
  /** The canary succeeded: `canary` → `rolling`. Only by the canary; a halted rollout stays halted. */
  promote(certificateId: string, revision: number, nodeId: string, now: Date): Promise<Rollout | null>;
  halt(
    certificateId: string,
    revision: number,
    nodeId: string,
    reason: string,
    now: Date,
  ): Promise<Rollout | null>;
  /** Becomes the canary when the current one missed its deadline; the new record, or null when not taken. */
  takeOver(request: RolloutJoin): Promise<Rollout | null>;
}
