import { DMZ_NODE_PREFIX } from '../dmz/push-to-dmz.ts';
import type { NodeResult, NodeStatus } from '../ports/node-status-store.ts';
import type { Rollout } from '../ports/rollout-store.ts';
import type { Revision } from '../renewal/types.ts';

export interface FleetNode {
  /** A node id, or `dmz:<id>` for a DMZ instance (reported by the agents that push to it). */
  readonly nodeId: string;
  readonly kind: 'node' | 'dmz';
  readonly revisionOnDisk: number | null;
  readonly revisionServed: number | null;
  readonly result: NodeResult;
  /** Behind the current revision (on disk). */
  readonly lagging: boolean;
  /** Its last attempt failed (rejected, rolled back, failed). */
  readonly failed: boolean;
  /** Since when it has been failing, or null. */
  readonly failingSince: string | null;
  readonly errorCode: string | null;
  readonly error: string | null;
  readonly updatedAt: string;
}

export interface FleetCertificate {
  readonly certificateId: string;
  readonly currentRevision: number | null;
  readonly serial: string | null;
  readonly notAfter: string | null;
  readonly rollout: {
    readonly revision: number;
    readonly state: Rollout['state'];
    readonly canary: string;
    readonly haltedBy: string | null;
    readonly reason: string | null;
  } | null;
  readonly nodes: readonly FleetNode[];
  readonly counts: {
    readonly nodes: number;
    readonly current: number;
    readonly lagging: number;
    readonly failed: number;
  };
}

const FAILING: ReadonlySet<NodeResult> = new Set(['rejected', 'rolled-back', 'failed']);

/** The `acme-ha status` view of one certificate: who serves what, who lags, who failed and since when. */
export function fleetCertificate(
  certificateId: string,
  current: Revision | null,
  rollout: Rollout | null,
  statuses: readonly NodeStatus[],
): FleetCertificate {
  const nodes = [...statuses]
    .sort((a, b) => a.nodeId.localeCompare(b.nodeId))
    .map((s): FleetNode => {
      const lagging = current !== null && (s.revisionOnDisk ?? 0) < current.revision;
      return {
        nodeId: s.nodeId,
        kind: s.nodeId.startsWith(DMZ_NODE_PREFIX) ? 'dmz' : 'node',
        revisionOnDisk: s.revisionOnDisk,
        revisionServed: s.revisionServed,
        result: s.result,
        lagging,
        failed: FAILING.has(s.result),
        failingSince: s.failingSince,
        errorCode: s.errorCode,
        error: s.error,
        updatedAt: s.updatedAt,
      };
    });
  return {
    certificateId,
    currentRevision: current?.revision ?? null,
    serial: current?.serial ?? null,
    notAfter: current?.notAfter ?? null,
    rollout: rollout
      ? {
          revision: rollout.revision,
          state: rollout.state,
          canary: rollout.canary,
          haltedBy: rollout.haltedBy,
          reason: rollout.reason,
        }
      : null,
    nodes,
    counts: {
      nodes: nodes.length,
      current: nodes.filter((n) => !n.lagging).length,
      lagging: nodes.filter((n) => n.lagging).length,
      failed: nodes.filter((n) => n.failed).length,
    },
  };
}
