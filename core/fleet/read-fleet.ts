/**
 * Reads what the fleet of one certificate is judged from — its state, the rollout of the current
 * revision, every node report and the heartbeats of those nodes, and the revisions nodes still
 * serve — and judges it
 * (core/agent/fleet-status.ts). `acme-ha status` and the fleet-watch function both call this.
 */
import { type FleetCertificate, fleetCertificate, revisionsToLookUp } from '../agent/fleet-status.ts';
import type { AcmeHaConfig, Profile } from '../config/certificate-config.ts';
import { certificateHolders } from '../fleet-audience.ts';
import type { CertificateStateStore } from '../ports/certificate-state-store.ts';
import type { NodeStatusStore } from '../ports/node-status-store.ts';
import type { RolloutStore } from '../ports/rollout-store.ts';
import type { Revision } from '../renewal/types.ts';
import {
  type FleetThresholdSettings,
  type FleetThresholds,
  fleetThresholds,
  profileOf,
  profileOfLifetime,
} from './fleet-thresholds.ts';

/** The reads it needs: item reads, one Query in the certificate's partition, one BatchGetItem of heartbeats per 100 nodes. */
export interface FleetStores {
  /** `catalog` names the retired certificates, which no configuration lists any more. */
  readonly state: Pick<CertificateStateStore, 'get' | 'getRevision' | 'catalog'>;
  readonly rollouts: Pick<RolloutStore, 'get'>;
  readonly nodes: Pick<NodeStatusStore, 'list' | 'heartbeats'>;
}

export interface FleetRequest {
  readonly certificateId: string;
  /** Who should hold it (core/fleet-audience.ts `certificateHolders`); null when unknown. */
  readonly holders: readonly string[] | null;
  /** The thresholds, or how to tell them from the current revision (read here, once). */
  readonly thresholds: FleetThresholds | ((current: Revision | null) => FleetThresholds);
  readonly now: Date;
}

/**
 * The fleet of one certificate.
 * @throws whatever the stores throw (nothing is judged from a partial read)
 */
export async function readFleet(stores: FleetStores, request: FleetRequest): Promise<FleetCertificate> {
  const { certificateId } = request;
  const { current, retiredAt } = await stores.state.get(certificateId);
  const [rollout, statuses] = await Promise.all([
    current ? stores.rollouts.get(certificateId, current.revision) : Promise.resolve(null),
    stores.nodes.list(certificateId),
  ]);
  const [older, heartbeats] = await Promise.all([
    Promise.all(
      revisionsToLookUp(current, statuses).map(
        async (n) => [n, await stores.state.getRevision(certificateId, n)] as const,
      ),
    ),
    stores.nodes.heartbeats(statuses.map((s) => s.nodeId)),
  ]);
  const notAfter = new Map(older.flatMap(([n, r]) => (r ? [[n, r.notAfter] as const] : [])));
  const thresholds =
    typeof request.thresholds === 'function' ? request.thresholds(current) : request.thresholds;
  return fleetCertificate(
    { certificateId, current, retiredAt, rollout, statuses, holders: request.holders, notAfter, heartbeats },
    { now: request.now, thresholds },
  );
}

/**
 * The fleet of one certificate judged by what the configuration says of it (who holds it, its
 * profile's thresholds); without a configuration, or for a certificate it no longer lists, the
 * current revision's lifetime tells the profile.
 */
export async function readFleetOf(
  stores: FleetStores,
  request: {
    readonly certificateId: string;
    readonly config: AcmeHaConfig | undefined;
    readonly settings: FleetThresholdSettings;
    readonly now: Date;
  },
): Promise<FleetCertificate> {
  const { certificateId, config, settings, now } = request;
  const declared = config?.certificates.find((c) => c.id === certificateId);
  const profile = (current: Revision | null): Profile => {
    if (config && declared) return profileOf(config, declared);
    return current ? profileOfLifetime(current.notBefore, current.notAfter) : 'classic';
  };
  return readFleet(stores, {
    certificateId,
    holders: config ? certificateHolders(config, certificateId) : null,
    thresholds: (current) => fleetThresholds(profile(current), settings),
    now,
  });
}

/**
 * The certificates to watch: the configured ones, and the retired ones of the catalog (one read) as
 * long as their nodes report on them.
 */
export async function watchedCertificates(
  stores: FleetStores,
  configured: readonly string[],
): Promise<string[]> {
  const { certificates } = await stores.state.catalog();
  const inConfig = new Set(configured);
  const retired = Object.keys(certificates).filter((id) => certificates[id] !== null && !inConfig.has(id));
  return [...configured, ...retired];
}
