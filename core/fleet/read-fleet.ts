/**
 * Reads what the fleet of one certificate is judged from — its state, the rollout of the current
 * revision, every node report, and the revisions nodes still serve — and judges it
 * (core/agent/fleet-status.ts). `acme-ha status` and the fleet-watch function both call this.
 */
import { type FleetCertificate, fleetCertificate, revisionsToLookUp } from '../agent/fleet-status.ts';
import type { CertificateStateStore } from '../ports/certificate-state-store.ts';
import type { NodeStatusStore } from '../ports/node-status-store.ts';
import type { RolloutStore } from '../ports/rollout-store.ts';
import type { FleetThresholds } from './fleet-thresholds.ts';

/** The reads it needs: all of them item reads or one Query in the certificate's partition. */
export interface FleetStores {
  readonly state: Pick<CertificateStateStore, 'get' | 'getRevision'>;
  readonly rollouts: Pick<RolloutStore, 'get'>;
  readonly nodes: Pick<NodeStatusStore, 'list'>;
}

export interface FleetRequest {
  readonly certificateId: string;
  /** Who should hold it (core/fleet-audience.ts `certificateHolders`); null when unknown. */
  readonly holders: readonly string[] | null;
  readonly thresholds: FleetThresholds;
  readonly now: Date;
}

/**
 * The fleet of one certificate.
 * @throws whatever the stores throw (nothing is judged from a partial read)
 */
export async function readFleet(stores: FleetStores, request: FleetRequest): Promise<FleetCertificate> {
  const { certificateId } = request;
  const current = (await stores.state.get(certificateId)).current;
  const [rollout, statuses] = await Promise.all([
    current ? stores.rollouts.get(certificateId, current.revision) : Promise.resolve(null),
    stores.nodes.list(certificateId),
  ]);
  const older = await Promise.all(
    revisionsToLookUp(current, statuses).map(
      async (n) => [n, await stores.state.getRevision(certificateId, n)] as const,
    ),
  );
  const notAfter = new Map(older.flatMap(([n, r]) => (r ? [[n, r.notAfter] as const] : [])));
  return fleetCertificate(
    { certificateId, current, rollout, statuses, holders: request.holders, notAfter },
    { now: request.now, thresholds: request.thresholds },
  );
}
