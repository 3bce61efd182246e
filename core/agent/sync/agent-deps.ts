import type { CertificateStateStore } from '../../ports/certificate-state-store.ts';
import type { Clock } from '../../ports/clock.ts';
import type { FileSink } from '../../ports/file-sink.ts';
import type { InstalledRevisionStore } from '../../ports/installed-revision-store.ts';
import type { KeystoreStore } from '../../ports/keystore-store.ts';
import type { Lock } from '../../ports/lock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { NodeStatusStore } from '../../ports/node-status-store.ts';
import type { Prober } from '../../ports/prober.ts';
import type { RolloutStore } from '../../ports/rollout-store.ts';

export interface RolloutSettings {
  /**
   * Only for a revision published without rollout terms (before 0.3), when this node creates its
   * rollout record (1 when absent); otherwise the published terms rule, and a differing value here is
   * ignored with a warning.
   */
  readonly maxParallel?: number | undefined;
  readonly slotTtlMs: number;
  /** How long others wait for the canary before one takes over; also the slot wait limit. */
  readonly canaryTimeoutMs: number;
  /** How long the probe may take to see the expected certificate after a reload. */
  readonly probeTimeoutMs: number;
  /** Pause between polls (slots, canary result, probe). */
  readonly pollMs: number;
}

export interface AgentDeps {
  readonly nodeId: string;
  /**
   * `rolloutTerms` is absent where nothing publishes terms (a DMZ receiver is a fleet of one), `head`
   * where every reconcile reads every state.
   */
  readonly state: Pick<CertificateStateStore, 'get' | 'getRevision'> &
    Partial<Pick<CertificateStateStore, 'rolloutTerms' | 'head'>>;
  readonly keystores: Pick<KeystoreStore, 'get'>;
  readonly files: FileSink;
  readonly installed: InstalledRevisionStore;
  readonly status: NodeStatusStore;
  readonly rollouts: RolloutStore;
  readonly lock: Lock;
  readonly prober: Prober;
  readonly clock: Clock;
  readonly log: Logger;
  /** Resolves after `ms`, or early when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly rollout: RolloutSettings;
}
