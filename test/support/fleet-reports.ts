/**
 * Builders for what the fleet is judged from: revision records and node reports, with only the
 * fields a test cares about given (`aRevision({ revision: 3, createdAt })`), and a helper that
 * writes a whole scene to a state store and a node status store (in memory or the real tables).
 */
import type { CertificateStateStore } from '../../core/ports/certificate-state-store.ts';
import type { NodeStatus, NodeStatusStore } from '../../core/ports/node-status-store.ts';
import type { Revision } from '../../core/renewal/types.ts';

const DAY_MS = 86_400_000;

/** A published revision record (no stored objects: nothing here downloads it). */
export function aRevision(
  fields: Partial<Revision> & { readonly certificateId?: string; readonly revision?: number } = {},
): Revision {
  const createdAt = fields.createdAt ?? new Date(Date.now() - DAY_MS).toISOString();
  const revision = fields.revision ?? 1;
  return {
    certificateId: 'web',
    revision,
    serial: `0${revision.toString(16)}ab`,
    sans: ['www.acme-ha.test'],
    notBefore: createdAt,
    notAfter: new Date(Date.parse(createdAt) + 90 * DAY_MS).toISOString(),
    issuer: 'CN=test CA',
    directory: 'https://ca.invalid/directory',
    ariCertId: null,
    configHash: 'test',
    objects: [],
    createdAt,
    ...fields,
  };
}

/** A node's report: installed and served `revision`, applied, just now, unless told otherwise. */
export function aNodeStatus(fields: Partial<NodeStatus> & { readonly nodeId: string }): NodeStatus {
  const revision = fields.revisionOnDisk ?? 1;
  return {
    certificateId: 'web',
    revisionOnDisk: revision,
    revisionServed: revision,
    servedSerial: null,
    targetRevision: revision,
    result: 'applied',
    errorCode: null,
    error: null,
    updatedAt: new Date().toISOString(),
    failingSince: null,
    reloadStartedAt: null,
    reloadFinishedAt: null,
    ...fields,
  };
}

/** Publishes `revisions` (numbered 1, 2, … in order) and puts every report. */
export async function writeFleet(
  stores: { readonly state: CertificateStateStore; readonly nodes: NodeStatusStore },
  scene: { readonly revisions: readonly Revision[]; readonly statuses: readonly NodeStatus[] },
): Promise<void> {
  for (const revision of scene.revisions) await stores.state.publish(revision);
  for (const status of scene.statuses) await stores.nodes.put(status);
}

export const days = (n: number): number => n * DAY_MS;
export const minutes = (n: number): number => n * 60_000;
