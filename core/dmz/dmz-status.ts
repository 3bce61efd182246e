import type { NodeResult, NodeStatus } from '../ports/node-status-store.ts';

const FAILING: ReadonlySet<NodeResult> = new Set(['rejected', 'rolled-back', 'failed', 'halted']);

/**
 * The status item a pusher writes for a DMZ instance after an attempt, or null when it would say
 * nothing new: the same revision, error and result (or two results that are both fine) as
 * `previous`. That the instance is still reported on, the pusher's heartbeat for it says.
 */
export function nextDmzStatus(
  previous: NodeStatus | null,
  fields: Partial<NodeStatus> & Pick<NodeStatus, 'certificateId' | 'nodeId' | 'result'>,
  now: Date,
): NodeStatus | null {
  const at = now.toISOString();
  const failing = FAILING.has(fields.result);
  const next: NodeStatus = {
    revisionOnDisk: previous?.revisionOnDisk ?? null,
    revisionServed: previous?.revisionServed ?? null,
    servedSerial: previous?.servedSerial ?? null,
    targetRevision: previous?.targetRevision ?? null,
    errorCode: null,
    error: null,
    updatedAt: at,
    failingSince: failing ? (previous?.failingSince ?? at) : null,
    reloadStartedAt: null,
    reloadFinishedAt: null,
    ...fields,
  };
  const same =
    previous &&
    previous.revisionOnDisk === next.revisionOnDisk &&
    previous.errorCode === next.errorCode &&
    (previous.result === next.result || (!failing && !FAILING.has(previous.result)));
  return same ? null : next;
}
