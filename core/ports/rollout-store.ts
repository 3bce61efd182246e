/**
 * Where a rollout stands:
 * - `canary`: the first node to join (the canary) installs alone; the others wait for its verdict;
 * - `rolling`: the canary succeeded; the others install, `maxParallel` at a time;
 * - `halted`: a node failed and rolled back; nobody else starts until an operator resumes it;
 * - `complete`: every node the rollout waits for serves the revision.
 */
export type RolloutState = 'canary' | 'rolling' | 'halted' | 'complete';

/**
 * How the fleet rolls a revision out, as the certificate configuration says when the revision is
 * published (stored with it: CertificateStateStore.publish), so that every node obeys one value.
 */
export interface RolloutTerms {
  /** Nodes reloading the certificate at once, cluster-wide. */
  readonly maxParallel: number;
  /**
   * The nodes that must serve the revision for the rollout to be `complete`: the configuration's
   * nodes in the certificate's groups. Null when the configuration declares none: then every node
   * that joined.
   */
  readonly nodes: readonly string[] | null;
}

/**
 * The cluster-wide rollout of one revision. The first node to join is the canary: the others wait
 * until it has reloaded and probed successfully (`rolling`), and do not reload at all once any node
 * failed (`halted`). An operator may pause it (no new slot is granted) and resume it, a halted one
 * included; it is `complete` once every node it waits for serves the revision.
 *
 * Node lists are sorted. Records written before 0.3 lack the lists and terms: they read as empty
 * lists, `nodes` null and not paused.
 */
export interface Rollout {
  readonly certificateId: string;
  readonly revision: number;
  /** The canary; after a resume, the node that failed, until the first node to join takes the role. */
  readonly canary: string;
  readonly state: RolloutState;
  /** Nodes reloading this certificate at once: the published terms', so all nodes agree. */
  readonly maxParallel: number;
  /** The nodes the rollout waits for (from the published terms), or null: every node in `joined`. */
  readonly nodes: readonly string[] | null;
  /** When the canary role may be taken over (a canary that crashed must not block the fleet). */
  readonly canaryDeadline: string;
  readonly haltedBy: string | null;
  readonly reason: string | null;
  /** Nodes that joined: they had new bytes to install. */
  readonly joined: readonly string[];
  /** Nodes that serve the revision (installed and probed). */
  readonly done: readonly string[];
  /** Nodes that failed on it (rolled back) and have not served it since. */
  readonly failed: readonly string[];
  /** Who paused the rollout (no new slot is granted), or null when it is not paused. */
  readonly pausedBy: string | null;
  readonly pausedAt: string | null;
  readonly completedAt: string | null;
  readonly startedAt: string;
  readonly updatedAt: string;
}

export interface RolloutJoin {
  readonly certificateId: string;
  readonly revision: number;
  readonly nodeId: string;
  /** The published terms' value; for a revision published without terms, the agent's own, or 1. */
  readonly maxParallel: number;
  /** The published terms' nodes; null for a revision published without terms. */
  readonly nodes: readonly string[] | null;
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
    nodes: request.nodes === null ? null : [...new Set(request.nodes)].sort(),
    canaryDeadline: request.canaryDeadline.toISOString(),
    haltedBy: null,
    reason: null,
    joined: [request.nodeId],
    done: [],
    failed: [],
    pausedBy: null,
    pausedAt: null,
    completedAt: null,
    startedAt: request.now.toISOString(),
    updatedAt: request.now.toISOString(),
  };
}

/**
 * Rollout records shared by every agent (DynamoDB conditional writes in AWS). The rules each
 * method applies are the pure functions of `rollout-transitions.ts`.
 *
 * - Errors: adapter errors propagate; no method throws for a lost race, it returns the winner's record.
 * - Idempotency: `join` of a node that joined returns the record; `promote`, `served` and `halt` may
 *   be repeated; a halted rollout never becomes `rolling` again by itself (the first halt and its
 *   reason win): only RolloutSteering.resume reopens it.
 * - Concurrency: exactly one caller of `join` becomes the canary; `takeOver` (and a `join` after the
 *   deadline) succeeds for exactly one caller, and only after the deadline while the rollout is still
 *   `canary`; of simultaneous `served` calls, the one that completes the set marks it `complete`.
 */
export interface RolloutStore {
  /**
   * The first join creates the record (the joiner is the canary). A later join adds the node to
   * `joined`; it takes the canary role over when the canary's deadline has passed (so a resumed
   * rollout gets a new canary at once); and it reopens a `complete` rollout without declared nodes
   * (`rolling`) when the node has not served the revision: the fleet turned out to be bigger.
   */
  join(request: RolloutJoin): Promise<Rollout>;
  get(certificateId: string, revision: number): Promise<Rollout | null>;
  /** The canary succeeded: `canary` → `rolling`. Only by the canary; a halted rollout stays halted. */
  promote(certificateId: string, revision: number, nodeId: string, now: Date): Promise<Rollout | null>;
  /**
   * The node serves the revision: into `done`, out of `failed`. When every node the rollout waits
   * for is done and it is `canary` or `rolling`, it becomes `complete` (and is no longer paused).
   */
  served(certificateId: string, revision: number, nodeId: string, now: Date): Promise<Rollout | null>;
  /** The node failed: into `failed`; the rollout becomes `halted` unless it already is (the first halt wins). */
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
