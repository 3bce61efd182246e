/**
 * The last thing a node did for a certificate:
 * - `applied`: the revision is on disk and served (probe confirmed);
 * - `unchanged`: the bytes on disk were already the revision's, nothing written or reloaded;
 * - `rejected`: the revision failed verification, nothing written;
 * - `rolled-back`: written and reloaded, but the probe failed; the backup is back and served;
 * - `halted`: the rollout of this revision was stopped by another node's failure; not installed;
 * - `reloading`: inside its rollout slot right now;
 * - `failed`: an error outside those (a store unreachable, a rollback that failed too);
 * - `retired`: the certificate left the configuration; nothing is installed any more, and its files
 *   stay on disk until `agent sync --purge` (then `revisionOnDisk` is null).
 */
export type NodeResult =
  | 'applied'
  | 'unchanged'
  | 'rejected'
  | 'rolled-back'
  | 'halted'
  | 'reloading'
  | 'failed'
  | 'retired';

/** One node's report for one certificate (DynamoDB item `CERT#<id>` / `NODE#<node>`). */
export interface NodeStatus {
  readonly certificateId: string;
  readonly nodeId: string;
  /** The revision whose files are on disk, null before the first install. */
  readonly revisionOnDisk: number | null;
  /** The revision the probe last confirmed as served; null when unknown. */
  readonly revisionServed: number | null;
  readonly servedSerial: string | null;
  /** The revision this node was converging on in its last attempt. */
  readonly targetRevision: number | null;
  readonly result: NodeResult;
  readonly errorCode: string | null;
  readonly error: string | null;
  readonly updatedAt: string;
  /** When the current run of failures began (kept across repeated failures), null when healthy. */
  readonly failingSince: string | null;
  /** The last reload window: from taking the rollout slot to the probe's verdict. */
  readonly reloadStartedAt: string | null;
  readonly reloadFinishedAt: string | null;
}

/**
 * How often a DMZ pusher rewrites the heartbeat of an instance whose report says nothing new. An
 * agent writes its own at every reconcile (every 15 minutes by default).
 */
export const HEARTBEAT_REFRESH_MS = 10 * 60_000;

/**
 * Node reports and heartbeats, read by `acme-ha status` and the fleet watch, which judge silence by
 * the newer of a node's report and its heartbeat (so a report is rewritten only when it says
 * something new), and by nodes themselves (to keep `failingSince`).
 *
 * - Errors: adapter errors propagate (the caller logs and carries on; status is best effort).
 * - Idempotency: `put` overwrites the node's single item per certificate, `beat` its heartbeat.
 * - Concurrency: each node writes only its own items; readers may see a report a moment old.
 */
export interface NodeStatusStore {
  put(status: NodeStatus): Promise<void>;
  get(certificateId: string, nodeId: string): Promise<NodeStatus | null>;
  /** Every node's report for a certificate, in node id order. */
  list(certificateId: string): Promise<NodeStatus[]>;
  /** Records that `nodeId` is alive at `at`: one item per node, whatever it serves. */
  beat(nodeId: string, at: Date): Promise<void>;
  /** The last heartbeat (ISO time) of each of `nodeIds` that has one. */
  heartbeats(nodeIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}
