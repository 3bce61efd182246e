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
  /** Used when this node creates the rollout record; afterwards the record's value rules. */
  readonly maxParallel: number;
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
  readonly state: Pick<CertificateStateStore, 'get' | 'getRevision'>;
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
