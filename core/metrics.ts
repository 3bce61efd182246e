/**
 * The CloudWatch metrics acme-ha emits, stated once: the functions that emit them, the alarms and
 * dashboard that watch them (cdk/monitoring.ts) and the tests that hold the two together
 * (test/cdk/alarm-metrics.test.ts fails when an alarm watches a metric no code emits) all read this
 * module. Values are CloudWatch's own strings (units, statistics), so core/ needs no AWS import.
 */

/** Every custom metric of acme-ha is in this namespace. */
export const METRICS_NAMESPACE = 'acme-ha';

/** What a metric is called, in which unit it is emitted, and the statistic its alarm reads. */
export interface MetricDefinition {
  readonly name: string;
  readonly unit: 'Count' | 'None';
  readonly statistic: 'Minimum' | 'Maximum' | 'Sum';
}

/**
 * What the fleet-watch function (functions/fleet-watch.ts) emits for every node and DMZ instance of
 * every certificate, each datapoint under both {@link FLEET_DIMENSION_SETS}. A metric is emitted only
 * when its value is known (no days left for a node that never reported, no lag before a revision).
 */
export const FLEET_METRICS = {
  /** Days until notAfter of the revision the node serves (the one on its disk when no probe said). */
  daysRemaining: { name: 'served_days_remaining', unit: 'None', statistic: 'Minimum' },
  /** The certificate's current revision minus the one on the node's disk. */
  revisionLag: { name: 'revision_lag', unit: 'Count', statistic: 'Maximum' },
  /** 1 when the node's last result was failed, rolled-back or rejected, else 0. */
  nodeFailed: { name: 'node_failed', unit: 'Count', statistic: 'Maximum' },
  /** 1 when the node has not reported within the silence threshold (or never did), else 0. */
  nodeSilent: { name: 'node_silent', unit: 'Count', statistic: 'Maximum' },
} as const satisfies Record<string, MetricDefinition>;

/**
 * What fleet-watch emits instead for the nodes of a retired certificate (one that left the
 * configuration; see core/renewal/retire-certificates.ts), beside `served_days_remaining`. No alarm
 * is built on it (the stack's alarms are per configured certificate); it is for the dashboard and
 * for an operator's own alarm.
 */
export const RETIRED_FLEET_METRICS = {
  /** 1 while the node still has the retired certificate's files on disk, 0 once purged. */
  retiredOnDisk: { name: 'retired_on_disk', unit: 'Count', statistic: 'Maximum' },
} as const satisfies Record<string, MetricDefinition>;

/** Dimension names of the fleet metrics. */
export const FLEET_DIMENSIONS = { certificate: 'CertificateId', node: 'NodeId' } as const;

/**
 * Each fleet datapoint is published per certificate (what the alarms watch: the minimum or maximum
 * over its nodes) and per certificate and node (what a dashboard drills into).
 */
export const FLEET_DIMENSION_SETS = [
  [FLEET_DIMENSIONS.certificate],
  [FLEET_DIMENSIONS.certificate, FLEET_DIMENSIONS.node],
] as const;

/**
 * What the renewer (functions/renew.ts) emits after every run, with the one dimension
 * {@link RENEWER_DIMENSIONS} (Powertools' `service` dimension).
 */
export const RENEWER_METRICS = {
  renewed: { name: 'certificates_renewed', unit: 'Count', statistic: 'Sum' },
  skipped: { name: 'certificates_skipped', unit: 'Count', statistic: 'Sum' },
  locked: { name: 'certificates_locked', unit: 'Count', statistic: 'Sum' },
  failed: { name: 'certificates_failed', unit: 'Count', statistic: 'Sum' },
  remaining: { name: 'certificates_remaining', unit: 'Count', statistic: 'Sum' },
  /** Certificates the run found gone from the configuration and marked retired. */
  retired: { name: 'certificates_retired', unit: 'Count', statistic: 'Sum' },
} as const satisfies Record<string, MetricDefinition>;

export const RENEWER_DIMENSIONS = { service: 'renewer' } as const;
