import type { Drainer } from '../../ports/drainer.ts';
import type { ProbeEndpoint } from '../../ports/prober.ts';
import type { Reloader } from '../../ports/reloader.ts';
import type { TargetSelection } from '../revision-objects.ts';

/** One configured target, resolved: where its files go, how to reload and probe it. */
export interface PlannedTarget {
  readonly selection: TargetSelection;
  /** The keystore file (jks, pkcs12) or the directory of the PEM files. */
  readonly path: string;
  readonly mode: number;
  readonly owner?: string | undefined;
  readonly group?: string | undefined;
  readonly reloader: Reloader | null;
  /** Out of the load balancer's rotation around the reload: how, and how long to wait. */
  readonly drain: PlannedDrain | null;
  readonly probes: readonly ProbeEndpoint[];
}

export interface PlannedDrain {
  readonly drainer: Drainer;
  /** The most to wait for the node's open connections to end. */
  readonly timeoutMs: number;
  /** How long to wait when the drainer cannot count connections. */
  readonly settleMs: number;
}

/** Everything this node installs of one certificate; synced as one unit with one rollout slot. */
export interface CertificatePlan {
  readonly certificateId: string;
  readonly targets: readonly PlannedTarget[];
}
