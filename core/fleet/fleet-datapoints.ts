/**
 * The fleet as CloudWatch datapoints: one record per node and DMZ instance, with the values of
 * core/metrics.ts's FLEET_METRICS that are known for it. The fleet-watch function publishes each
 * record as one EMF line; the tests read them back from that line.
 */
import type { FleetCertificate, FleetNode, UnseenNode } from '../agent/fleet-status.ts';
import { FLEET_METRICS, type MetricDefinition, RETIRED_FLEET_METRICS } from '../metrics.ts';

export interface FleetDatapoint {
  readonly certificateId: string;
  readonly nodeId: string;
  /** Metric name → value, for the metrics whose value is known. */
  readonly values: Readonly<Record<string, number>>;
  /** Context for the log line (not dimensions): what the node is, and why it is unhealthy. */
  readonly context: {
    readonly kind: FleetNode['kind'];
    readonly result: string;
    readonly lastSeenAt: string;
    readonly problems: string;
  };
}

/**
 * One datapoint per node and DMZ instance; one that never reported has only `node_silent`. The nodes
 * of a retired certificate have only their days left and `retired_on_disk`.
 */
export function fleetDatapoints(fleet: FleetCertificate): FleetDatapoint[] {
  const reported = fleet.nodes.map((node) =>
    datapoint(
      fleet,
      node,
      fleet.retiredAt
        ? [
            [FLEET_METRICS.daysRemaining, node.daysLeft],
            [RETIRED_FLEET_METRICS.retiredOnDisk, Number(node.revisionOnDisk !== null)],
          ]
        : [
            [FLEET_METRICS.daysRemaining, node.daysLeft],
            [FLEET_METRICS.revisionLag, node.revisionLag],
            [FLEET_METRICS.nodeFailed, Number(node.failed)],
            // A retired node (silent, no longer in the configuration) is no alarm: see FleetNode.silent.
            [FLEET_METRICS.nodeSilent, Number(node.problems.includes('silent'))],
          ],
    ),
  );
  const unseen = fleet.neverSeen.map((node) =>
    datapoint(fleet, node, [[FLEET_METRICS.nodeSilent, Number(node.silent)]]),
  );
  return [...reported, ...unseen].sort((a, b) => a.nodeId.localeCompare(b.nodeId));
}

function datapoint(
  fleet: FleetCertificate,
  node: FleetNode | UnseenNode,
  known: readonly (readonly [MetricDefinition, number | null])[],
): FleetDatapoint {
  return {
    certificateId: fleet.certificateId,
    nodeId: node.nodeId,
    values: Object.fromEntries(
      known.flatMap(([metric, value]) => (value === null ? [] : [[metric.name, value]])),
    ),
    context: {
      kind: node.kind,
      result: node.seen ? node.result : 'never-seen',
      lastSeenAt: node.seen ? node.lastSeenAt : 'never',
      problems: node.problems.join(',') || 'none',
    },
  };
}
