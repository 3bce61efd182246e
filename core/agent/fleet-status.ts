/**
 * The fleet of one certificate as an operator judges it: for every node and DMZ instance that should
 * hold it (the configuration) or that reported anyway, what it has on disk and serves, how many days
 * that has left, how far it lags, whether it failed, and whether it has gone silent. `acme-ha status`
 * prints it, the fleet-watch function turns it into CloudWatch metrics (core/fleet/fleet-datapoints.ts),
 * and the stack's alarms watch those: one computation, so the table and the alarms agree.
 */
import { DMZ_NODE_PREFIX } from '../dmz/push-to-dmz.ts';
import type { FleetThresholds } from '../fleet/fleet-thresholds.ts';
import type { NodeResult, NodeStatus } from '../ports/node-status-store.ts';
import type { Rollout } from '../ports/rollout-store.ts';
import type { Revision } from '../renewal/types.ts';

/** What makes a fleet unhealthy; a node may have several. */
export type FleetProblem = 'failed' | 'lagging' | 'silent' | 'expiring';

/** A node or DMZ instance that reported for the certificate. */
export interface FleetNode {
  /** A node id, or `dmz:<id>` for a DMZ instance (reported by the agents that push to it). */
  readonly nodeId: string;
  readonly kind: 'node' | 'dmz';
  /** The configuration says it should hold the certificate (false: not declared, or no configuration). */
  readonly declared: boolean;
  /** It reported (always, here; {@link UnseenNode} has `seen: false`). */
  readonly seen: true;
  readonly revisionOnDisk: number | null;
  readonly revisionServed: number | null;
  readonly result: NodeResult;
  /** Behind the current revision (on disk). */
  readonly lagging: boolean;
  /** Current revision minus the one on disk (all of it when none is); null before any revision. */
  readonly revisionLag: number | null;
  /** Lagging, and the current revision was published longer ago than the lag grace. */
  readonly lagBeyondGrace: boolean;
  /** Its last attempt failed (rejected, rolled back, failed). */
  readonly failed: boolean;
  /** Since when it has been failing, or null. */
  readonly failingSince: string | null;
  readonly errorCode: string | null;
  readonly error: string | null;
  /** When it last wrote its report. */
  readonly updatedAt: string;
  /** When it was last seen: the newer of its report and its heartbeat. */
  readonly lastSeenAt: string;
  /**
   * Not seen for longer than the silence threshold. A problem (and `node_silent`) only for a node
   * the configuration declares, or when no configuration says: one taken out of the configuration
   * leaves its last report behind, and is listed, but retired rather than silent.
   */
  readonly silent: boolean;
  /** Days until notAfter of the revision it serves (the one on disk when no probe said); null when unknown. */
  readonly daysLeft: number | null;
  /** Fewer days left than the expiry threshold. */
  readonly expiring: boolean;
  /** Why it makes the fleet unhealthy; empty when it does not. */
  readonly problems: readonly FleetProblem[];
}

/** A node or DMZ instance the configuration names for the certificate that never reported. */
export interface UnseenNode {
  readonly nodeId: string;
  readonly kind: 'node' | 'dmz';
  readonly seen: false;
  /** There has been a revision to report about for longer than the silence threshold. */
  readonly silent: boolean;
  readonly problems: readonly FleetProblem[];
}

export interface FleetCounts {
  /** Nodes and DMZ instances that reported. */
  readonly nodes: number;
  /** Reported, and not behind the current revision. */
  readonly current: number;
  readonly lagging: number;
  readonly failed: number;
  /** Silent and expected to report (retired nodes aside), whether they reported once or never. */
  readonly silent: number;
  /** Declared but never reported (silent or not yet). */
  readonly neverSeen: number;
  readonly lagBeyondGrace: number;
  readonly expiring: number;
  /** Of a retired certificate: nodes that still have its files on disk (`agent sync --purge` removes them). */
  readonly holdingRetired: number;
}

export interface FleetCertificate {
  readonly certificateId: string;
  /**
   * Since when the certificate is retired (it left the configuration), or null. A retired
   * certificate's nodes are not judged lagging, failed or silent: they have nothing left to do. A
   * node still serving it from its disk can still expire, and that stays a problem.
   */
  readonly retiredAt: string | null;
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
  /** A configuration said who should hold it; without one, only nodes that reported are listed. */
  readonly audienceKnown: boolean;
  readonly thresholds: FleetThresholds;
  /** Every node and DMZ instance that reported, declared or not, in id order. */
  readonly nodes: readonly FleetNode[];
  /** Declared ones that never reported, in id order. */
  readonly neverSeen: readonly UnseenNode[];
  readonly counts: FleetCounts;
  /** No node has a problem. */
  readonly healthy: boolean;
}

/** What the fleet of one certificate is computed from. */
export interface FleetInputs {
  readonly certificateId: string;
  readonly current: Revision | null;
  /** The state item's retirement mark (see {@link FleetCertificate.retiredAt}). */
  readonly retiredAt: string | null;
  readonly rollout: Rollout | null;
  readonly statuses: readonly NodeStatus[];
  /** Node ids (`dmz:<id>` for DMZ instances) that should hold it; null when no configuration says. */
  readonly holders: readonly string[] | null;
  /** notAfter of the revisions nodes report, by number (the current one is taken from `current`). */
  readonly notAfter: ReadonlyMap<number, string>;
  /** The last heartbeat of the nodes that reported (ISO time), where they have one. */
  readonly heartbeats: ReadonlyMap<string, string>;
}

/** The moment and the thresholds the fleet is judged by. */
export interface FleetJudgement {
  readonly now: Date;
  readonly thresholds: FleetThresholds;
}

const FAILING: ReadonlySet<NodeResult> = new Set(['rejected', 'rolled-back', 'failed']);
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The `acme-ha status` view of one certificate: who serves what, who lags, failed or went silent. */
export function fleetCertificate(inputs: FleetInputs, judgement: FleetJudgement): FleetCertificate {
  const { current, rollout, retiredAt } = inputs;
  // Nobody is expected to hold a retired certificate any more.
  const declared = new Set(retiredAt ? [] : (inputs.holders ?? []));
  const byId = (a: { nodeId: string }, b: { nodeId: string }) => a.nodeId.localeCompare(b.nodeId);
  const nodes = [...inputs.statuses]
    .sort(byId)
    .map((status) => fleetNode({ status, declared: declared.has(status.nodeId) }, inputs, judgement));
  const reported = new Set(nodes.map((n) => n.nodeId));
  const neverSeen = [...declared]
    .filter((id) => !reported.has(id))
    .sort((a, b) => a.localeCompare(b))
    .map((nodeId): UnseenNode => {
      const silent = neverSeenIsSilent(current, judgement);
      return { nodeId, kind: kindOf(nodeId), seen: false, silent, problems: silent ? ['silent'] : [] };
    });
  return {
    certificateId: inputs.certificateId,
    retiredAt,
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
    audienceKnown: inputs.holders !== null,
    thresholds: judgement.thresholds,
    nodes,
    neverSeen,
    counts: countsOf(nodes, neverSeen, retiredAt !== null),
    healthy: [...nodes, ...neverSeen].every((n) => n.problems.length === 0),
  };
}

function kindOf(nodeId: string): 'node' | 'dmz' {
  return nodeId.startsWith(DMZ_NODE_PREFIX) ? 'dmz' : 'node';
}

interface NodeSubject {
  readonly status: NodeStatus;
  readonly declared: boolean;
}

function fleetNode(subject: NodeSubject, inputs: FleetInputs, judgement: FleetJudgement): FleetNode {
  const { status } = subject;
  const { current } = inputs;
  const inService = inputs.retiredAt === null;
  const now = judgement.now.getTime();
  const { thresholds } = judgement;
  const revisionLag =
    current && inService ? Math.max(0, current.revision - (status.revisionOnDisk ?? 0)) : null;
  const lagging = revisionLag !== null && revisionLag > 0;
  const lagBeyondGrace =
    lagging && publishedFor(current, judgement.now) > thresholds.lagGraceMinutes * MINUTE_MS;
  const failed = inService && FAILING.has(status.result);
  const beat = inputs.heartbeats.get(status.nodeId);
  const lastSeenAt =
    beat !== undefined && Date.parse(beat) > Date.parse(status.updatedAt) ? beat : status.updatedAt;
  const silent = now - Date.parse(lastSeenAt) > thresholds.silentAfterMinutes * MINUTE_MS;
  const daysLeft = daysLeftOf(status, inputs, now);
  const expiring = daysLeft !== null && daysLeft < thresholds.expiryDays;
  const expectedToReport = inService && (subject.declared || inputs.holders === null);
  const problems: FleetProblem[] = [
    ...(failed ? (['failed'] as const) : []),
    ...(lagBeyondGrace ? (['lagging'] as const) : []),
    ...(silent && expectedToReport ? (['silent'] as const) : []),
    ...(expiring ? (['expiring'] as const) : []),
  ];
  return {
    nodeId: status.nodeId,
    kind: kindOf(status.nodeId),
    declared: subject.declared,
    seen: true,
    revisionOnDisk: status.revisionOnDisk,
    revisionServed: status.revisionServed,
    result: status.result,
    lagging,
    revisionLag,
    lagBeyondGrace,
    failed,
    failingSince: status.failingSince,
    errorCode: status.errorCode,
    error: status.error,
    updatedAt: status.updatedAt,
    lastSeenAt,
    silent,
    daysLeft,
    expiring,
    problems,
  };
}

/** How long ago the current revision was published, in milliseconds (0 without one). */
function publishedFor(current: Revision | null, now: Date): number {
  return current ? now.getTime() - Date.parse(current.createdAt) : 0;
}

/**
 * A declared node that never reported is silent once there is something to report about: a
 * revision published longer ago than the silence threshold (the first rollout gets that long), or
 * any revision after the first. Before the first issuance nodes have nothing to install or report.
 */
function neverSeenIsSilent(current: Revision | null, judgement: FleetJudgement): boolean {
  if (!current) return false;
  const threshold = judgement.thresholds.silentAfterMinutes * MINUTE_MS;
  return current.revision > 1 || publishedFor(current, judgement.now) > threshold;
}

/** Days left on what the node serves: the probed revision, else the one on its disk. */
function daysLeftOf(status: NodeStatus, inputs: FleetInputs, now: number): number | null {
  const revision = status.revisionServed ?? status.revisionOnDisk;
  if (revision === null) return null;
  const notAfter =
    revision === inputs.current?.revision ? inputs.current.notAfter : inputs.notAfter.get(revision);
  if (notAfter === undefined) return null;
  return Math.round(((Date.parse(notAfter) - now) / DAY_MS) * 100) / 100;
}

/** The revisions whose notAfter the fleet needs besides the current one (what nodes serve or hold). */
export function revisionsToLookUp(current: Revision | null, statuses: readonly NodeStatus[]): number[] {
  const wanted = statuses
    .map((s) => s.revisionServed ?? s.revisionOnDisk)
    .filter((r): r is number => r !== null && r !== current?.revision);
  return [...new Set(wanted)].sort((a, b) => a - b);
}

function countsOf(
  nodes: readonly FleetNode[],
  neverSeen: readonly UnseenNode[],
  retired: boolean,
): FleetCounts {
  const count = (test: (n: FleetNode) => boolean) => nodes.filter(test).length;
  return {
    nodes: nodes.length,
    current: count((n) => !n.lagging),
    lagging: count((n) => n.lagging),
    failed: count((n) => n.failed),
    silent: count((n) => n.problems.includes('silent')) + neverSeen.filter((n) => n.silent).length,
    neverSeen: neverSeen.length,
    lagBeyondGrace: count((n) => n.lagBeyondGrace),
    expiring: count((n) => n.expiring),
    holdingRetired: retired ? count((n) => n.revisionOnDisk !== null) : 0,
  };
}
