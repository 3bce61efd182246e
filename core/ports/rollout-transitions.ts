/**
 * The state machine of a rollout record, as pure functions: what each RolloutStore and
 * RolloutSteering call does to a record. The in-memory stores apply them as they are; the DynamoDB
 * store states the same rules as conditional writes (and its contract tests hold it to them).
 *
 * ```
 *            join (first)            promote (canary)            served (last awaited node)
 *   (none) ───────────────► canary ───────────────► rolling ────────────────────────► complete
 *                             │  ▲                    │  ▲                                │
 *                   halt (any node)  resume     halt (any node)                join of a new node
 *                             ▼  │                    ▼  │                     (no declared nodes)
 *                           halted ◄──────────────────┘  └────────────────────────────────┘
 *   pause / resume: a flag on `canary` and `rolling`; while set, no new rollout slot is granted.
 * ```
 * Each function returns the record unchanged (the same object) when the call changes nothing.
 */
import type { Rollout, RolloutJoin } from './rollout-store.ts';

/** Adds a node to a sorted node list (unchanged when present). */
function withNode(list: readonly string[], nodeId: string): readonly string[] {
  return list.includes(nodeId) ? list : [...list, nodeId].sort();
}

function withoutNode(list: readonly string[], nodeId: string): readonly string[] {
  return list.includes(nodeId) ? list.filter((n) => n !== nodeId) : list;
}

/** The nodes the rollout waits for: the declared ones, or every node that joined. */
export function awaitedNodes(record: Rollout): readonly string[] {
  return record.nodes ?? record.joined;
}

/** The awaited nodes that do not serve the revision yet. */
export function pendingNodes(record: Rollout): string[] {
  return awaitedNodes(record).filter((n) => !record.done.includes(n));
}

/** Every awaited node serves the revision (never true of a rollout that awaits nobody). */
export function everyNodeServes(record: Rollout): boolean {
  return awaitedNodes(record).length > 0 && pendingNodes(record).length === 0;
}

/** Whether a node may take a rollout slot now: not while an operator has paused the rollout. */
export function grantsSlots(record: Rollout | null): boolean {
  return record !== null && record.pausedAt === null;
}

/** The canary role is free for the taking: still `canary`, and its deadline has passed. */
export function canaryExpired(record: Rollout, now: Date): boolean {
  return record.state === 'canary' && new Date(record.canaryDeadline) < now;
}

/** A later join: the node joins; an expired canary role is taken; a grown undeclared fleet reopens. */
export function afterJoin(record: Rollout, request: RolloutJoin): Rollout {
  const node = request.nodeId;
  let next: Rollout = record.joined.includes(node)
    ? record
    : { ...record, joined: withNode(record.joined, node) };
  if (canaryExpired(next, request.now)) next = afterTakeOver(next, request) ?? next;
  if (next.state === 'complete' && next.nodes === null && !next.done.includes(node))
    next = { ...next, state: 'rolling', completedAt: null, updatedAt: request.now.toISOString() };
  return next;
}

/** `canary` → `rolling`, by the canary only. */
export function afterPromote(record: Rollout, nodeId: string, now: Date): Rollout {
  if (record.state !== 'canary' || record.canary !== nodeId) return record;
  return { ...record, state: 'rolling', updatedAt: now.toISOString() };
}

/** The node serves the revision; the last awaited one completes a `canary` or `rolling` rollout. */
export function afterServed(record: Rollout, nodeId: string, now: Date): Rollout {
  const at = now.toISOString();
  const next: Rollout = {
    ...record,
    done: withNode(record.done, nodeId),
    failed: withoutNode(record.failed, nodeId),
    updatedAt: at,
  };
  if ((next.state === 'canary' || next.state === 'rolling') && everyNodeServes(next))
    return { ...next, state: 'complete', completedAt: at, pausedBy: null, pausedAt: null };
  return next;
}

/** The node failed: it is recorded as failed, and the first failure halts the rollout. */
export function afterHalt(record: Rollout, nodeId: string, reason: string, now: Date): Rollout {
  const failed = withNode(record.failed, nodeId);
  if (record.state === 'halted') return failed === record.failed ? record : { ...record, failed };
  return { ...record, state: 'halted', haltedBy: nodeId, reason, failed, updatedAt: now.toISOString() };
}

/** The new canary, or null while the current one is within its deadline (or no longer `canary`). */
export function afterTakeOver(record: Rollout, request: RolloutJoin): Rollout | null {
  if (!canaryExpired(record, request.now)) return null;
  return {
    ...record,
    canary: request.nodeId,
    canaryDeadline: request.canaryDeadline.toISOString(),
    updatedAt: request.now.toISOString(),
  };
}

/** `canary` or `rolling`, not paused → paused. */
export function afterPause(record: Rollout, by: string, now: Date): Rollout {
  if ((record.state !== 'canary' && record.state !== 'rolling') || record.pausedAt !== null) return record;
  const at = now.toISOString();
  return { ...record, pausedBy: by, pausedAt: at, updatedAt: at };
}

/**
 * Paused → running; halted → `canary` again with the failed node named canary and its deadline
 * passed (the first node to join takes the role), not paused. `failed` keeps the nodes that have not
 * served the revision since.
 */
export function afterResume(record: Rollout, now: Date): Rollout {
  const at = now.toISOString();
  if (record.state === 'halted')
    return {
      ...record,
      state: 'canary',
      canary: record.haltedBy ?? record.canary,
      canaryDeadline: at,
      haltedBy: null,
      reason: null,
      pausedBy: null,
      pausedAt: null,
      updatedAt: at,
    };
  if (record.pausedAt === null) return record;
  return { ...record, pausedBy: null, pausedAt: null, updatedAt: at };
}
