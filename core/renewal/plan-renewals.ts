/**
 * `acme-ha plan`: what the next scheduled run would order and why, and who would install what —
 * from the state table alone: no CA request (the last ARI answer kept in the state is used as it
 * is), no write. The decision is the renewer's own ({@link decideRenewal}).
 */
import type { AcmeHaConfig, CertificateConfig } from '../config/certificate-config.ts';
import { certificateHolders } from '../fleet-audience.ts';
import type { CertificateStateStore } from '../ports/certificate-state-store.ts';
import type { NodeStatusStore } from '../ports/node-status-store.ts';
import { configHash, decideRenewal, type RenewalReason } from './decide.ts';

export interface PlannedHolder {
  /** A node id, or `dmz:<id>` for a DMZ instance. */
  readonly id: string;
  /** The revision it last reported on disk; null when it never did. */
  readonly revisionOnDisk: number | null;
}

export interface RenewalPlan {
  readonly certificateId: string;
  readonly due: boolean;
  /** Why it is due (`first-issuance`, `config-changed`, `expired`, `ari-window`, `renew-before`, `lifetime`), or why not. */
  readonly reason: RenewalReason | 'not-due' | 'backing-off';
  /** When the renewer will find it due (not due now), or null. */
  readonly nextCheckAt: string | null;
  readonly current: {
    readonly revision: number;
    readonly serial: string;
    readonly notAfter: string;
    readonly directory: string;
  } | null;
  /** The revision an order would publish. */
  readonly nextRevision: number;
  /** The CA it would order from, with the key policy, chain preference and `renewBefore`. */
  readonly directory: string;
  readonly keyType: CertificateConfig['keyType'];
  readonly keyRotation: CertificateConfig['key']['rotation'];
  readonly preferredChain: string | null;
  readonly renewBefore: string | null;
  /** The keystores each revision carries: `jks (alias server)`, `pkcs12 (alias files)`, `pem`. */
  readonly keystores: readonly string[];
  /** Who installs it, by the configuration (null: it declares no nodes), with what each has now. */
  readonly holders: readonly PlannedHolder[] | null;
  /** Groups it is installed in (who is in them is the agents' own configuration when no nodes are declared). */
  readonly groups: readonly string[];
  /** The last failure, when a run is backing off. */
  readonly failure: { readonly errorCode: string; readonly attempts: number } | null;
}

export async function planRenewals(
  config: AcmeHaConfig,
  stores: {
    readonly state: Pick<CertificateStateStore, 'get'>;
    readonly nodes: Pick<NodeStatusStore, 'list'>;
  },
  now: Date,
  certificateIds?: readonly string[],
): Promise<RenewalPlan[]> {
  const chosen = config.certificates.filter((c) => !certificateIds || certificateIds.includes(c.id));
  return Promise.all(chosen.map((cert) => planOne(config, cert, stores, now)));
}

async function planOne(
  config: AcmeHaConfig,
  cert: CertificateConfig,
  stores: Parameters<typeof planRenewals>[1],
  now: Date,
): Promise<RenewalPlan> {
  const directory = cert.directory ?? config.defaults.directory;
  const profile = cert.profile ?? config.defaults.profile;
  const [state, reports] = await Promise.all([stores.state.get(cert.id), stores.nodes.list(cert.id)]);
  const decision = decideRenewal({
    state,
    configHash: configHash(cert, directory, profile),
    now,
    force: false,
    renewBefore: cert.renewBefore,
  });
  const onDisk = new Map(reports.map((r) => [r.nodeId, r.revisionOnDisk]));
  const current = state.current;
  return {
    certificateId: cert.id,
    due: decision.due,
    reason: decision.reason,
    nextCheckAt: decision.due ? null : decision.nextCheckAt.toISOString(),
    current: current
      ? {
          revision: current.revision,
          serial: current.serial,
          notAfter: current.notAfter,
          directory: current.directory,
        }
      : null,
    nextRevision: (current?.revision ?? 0) + 1,
    directory,
    keyType: cert.keyType,
    keyRotation: cert.key.rotation,
    preferredChain: cert.preferredChain?.issuerCommonName ?? null,
    renewBefore: cert.renewBefore ?? null,
    keystores: cert.keystores.map((k) =>
      k.format === 'pem' ? 'pem' : `${k.format} (alias ${k.alias ?? cert.id})`,
    ),
    holders:
      certificateHolders(config, cert.id)?.map((id) => ({ id, revisionOnDisk: onDisk.get(id) ?? null })) ??
      null,
    groups: cert.groups,
    failure: state.failure
      ? { errorCode: state.failure.lastErrorCode, attempts: state.failure.attempts }
      : null,
  };
}
