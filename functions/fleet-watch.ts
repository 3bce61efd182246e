/**
 * The fleet-watch Lambda, run by an EventBridge schedule (every 5 minutes by default): judges the
 * fleet of every configured certificate from the node reports in the table (core/fleet/read-fleet.ts,
 * the same computation as `acme-ha status`) and emits one EMF line per node and DMZ instance — the
 * metrics of core/metrics.ts FLEET_METRICS, per certificate and per certificate and node — which the
 * stack's alarms watch. Read-only: it writes nothing but its log.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoNodeStatusStore } from '../adapters/aws/dynamo-node-status-store.ts';
import { DynamoRolloutStore } from '../adapters/aws/dynamo-rollout-store.ts';
import { DynamoStateStore } from '../adapters/aws/dynamo-state-store.ts';
import type { FleetCounts } from '../core/agent/fleet-status.ts';
import type { AcmeHaConfig } from '../core/config/certificate-config.ts';
import { formatPath } from '../core/config/parse-config.ts';
import * as z from '../core/config/zod.ts';
import { InvalidInputError } from '../core/errors.ts';
import { type FleetDatapoint, fleetDatapoints } from '../core/fleet/fleet-datapoints.ts';
import type { FleetThresholdSettings } from '../core/fleet/fleet-thresholds.ts';
import { type FleetStores, readFleetOf, watchedCertificates } from '../core/fleet/read-fleet.ts';
import {
  FLEET_DIMENSIONS,
  FLEET_METRICS,
  METRICS_NAMESPACE,
  RETIRED_FLEET_METRICS,
} from '../core/metrics.ts';
import { bundledConfig, logger } from './commons/runtime.ts';
import { tableClient } from './commons/table-client.ts';

const minutes = z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(7 * 24 * 60)));

/** The function's environment (set by cdk/fleet-watch.ts). */
export const fleetWatchSettings = z.object({
  ACME_HA_TABLE: z.string().check(z.minLength(1)),
  ACME_HA_SILENT_AFTER_MINUTES: minutes,
  ACME_HA_LAG_GRACE_MINUTES: minutes,
  /** Overrides the expiry threshold of every certificate's profile. */
  ACME_HA_EXPIRY_DAYS: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(365))),
});
export type FleetWatchSettings = z.infer<typeof fleetWatchSettings>;

/** @throws InvalidInputError naming every missing or malformed variable */
export function settingsFromEnv(env: NodeJS.ProcessEnv): FleetWatchSettings {
  const result = fleetWatchSettings.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${formatPath(i.path)} (${i.message})`).join(', ');
  throw new InvalidInputError(`the fleet-watch environment is incomplete: ${problems}`);
}

export interface FleetWatchResult {
  readonly certificates: readonly {
    readonly certificateId: string;
    readonly healthy: boolean;
    readonly counts: FleetCounts;
  }[];
  /** Certificates whose fleet could not be read (the run fails after emitting the others). */
  readonly unreadable: readonly string[];
}

export interface FleetWatchDeps {
  readonly config: AcmeHaConfig;
  readonly stores: FleetStores;
  readonly settings: FleetThresholdSettings;
  readonly now: Date;
  /** Publishes one datapoint (one EMF line). */
  readonly emit: (datapoint: FleetDatapoint) => void;
}

/**
 * Judges the fleet of every configured certificate, and of every retired one, and emits its
 * datapoints; one unreadable certificate does not stop the others.
 */
export async function watchFleet(deps: FleetWatchDeps): Promise<FleetWatchResult> {
  const { config } = deps;
  const watched = await watchedCertificates(
    deps.stores,
    config.certificates.map((c) => c.id),
  );
  const results = await Promise.allSettled(
    watched.map((certificateId) =>
      readFleetOf(deps.stores, { certificateId, config, settings: deps.settings, now: deps.now }),
    ),
  );
  const certificates: FleetWatchResult['certificates'][number][] = [];
  const unreadable: string[] = [];
  results.forEach((result, i) => {
    const certificateId = watched[i] ?? '?';
    if (result.status === 'rejected') {
      unreadable.push(certificateId);
      logger.error('fleet not read', { certificateId, error: (result.reason as Error).message });
      return;
    }
    const fleet = result.value;
    for (const datapoint of fleetDatapoints(fleet)) deps.emit(datapoint);
    certificates.push({ certificateId, healthy: fleet.healthy, counts: fleet.counts });
    logger.info('fleet watched', { certificateId, healthy: fleet.healthy, counts: fleet.counts });
  });
  return { certificates, unreadable };
}

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
const UNITS: Readonly<Record<string, Unit>> = Object.fromEntries(
  [...Object.values(FLEET_METRICS), ...Object.values(RETIRED_FLEET_METRICS)].map((m): [string, Unit] => [
    m.name,
    m.unit,
  ]),
);

/**
 * EMF through Powertools: no default dimensions (no `service`), so each line carries exactly the
 * dimension sets of core/metrics.ts FLEET_DIMENSION_SETS that the alarms name.
 */
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'fleet-watch' });
metrics.clearDefaultDimensions();

export function emitDatapoint(datapoint: FleetDatapoint, at: Date): void {
  metrics.setTimestamp(at);
  metrics.addDimension(FLEET_DIMENSIONS.certificate, datapoint.certificateId);
  metrics.addDimensions({
    [FLEET_DIMENSIONS.certificate]: datapoint.certificateId,
    [FLEET_DIMENSIONS.node]: datapoint.nodeId,
  });
  for (const [name, value] of Object.entries(datapoint.values))
    metrics.addMetric(name, UNITS[name] ?? MetricUnit.NoUnit, value);
  for (const [key, value] of Object.entries(datapoint.context)) metrics.addMetadata(key, value);
  metrics.publishStoredMetrics();
}

/** The Lambda entry point (the schedule's event carries nothing it reads). */
export async function handler(): Promise<FleetWatchResult> {
  const settings = settingsFromEnv(process.env);
  const documents = tableClient();
  const table = settings.ACME_HA_TABLE;
  const now = new Date();
  const result = await watchFleet({
    config: bundledConfig(),
    stores: {
      state: new DynamoStateStore(documents, table),
      rollouts: new DynamoRolloutStore(documents, table),
      nodes: new DynamoNodeStatusStore(documents, table),
    },
    settings: {
      silentAfterMinutes: settings.ACME_HA_SILENT_AFTER_MINUTES,
      lagGraceMinutes: settings.ACME_HA_LAG_GRACE_MINUTES,
      expiryDays: settings.ACME_HA_EXPIRY_DAYS,
    },
    now,
    emit: (datapoint) => emitDatapoint(datapoint, now),
  });
  // Failing the invocation is what the FleetWatchErrors alarm sees.
  if (result.unreadable.length > 0)
    throw new Error(`the fleet of ${result.unreadable.join(', ')} could not be read (see the log)`);
  return result;
}
