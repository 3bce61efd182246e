import type { Lease, Lock } from '../ports/lock.ts';
import type { Logger } from '../ports/logger.ts';
import type { Rollout, RolloutStore, RolloutTerms } from '../ports/rollout-store.ts';
import { grantsSlots } from '../ports/rollout-transitions.ts';

/** The lease names of a certificate's rollout slots: `rollout/<id>/slot-0` … `slot-<n-1>`. */
export function slotNames(certificateId: string, maxParallel: number): string[] {
  return Array.from({ length: maxParallel }, (_, i) => `rollout/${certificateId}/slot-${i}`);
}

/** A slot held now, as `acme-ha rollout status` shows it. */
export interface SlotHolder {
  readonly slot: string;
  readonly owner: string;
  /** When the lease expires unless it is released first. */
  readonly until: string;
}

/** Whose slot, of which certificate, out of how many, and for how long. */
export interface SlotRequest {
  readonly certificateId: string;
  readonly owner: string;
  readonly maxParallel: number;
  readonly ttlMs: number;
}

export interface SlotWait {
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly now: () => Date;
  /** Pause between rounds; jittered ×0.5–1.5 so that waiting nodes do not knock in step. */
  readonly pollMs: number;
  /** Give up after this long (the caller retries later). */
  readonly maxWaitMs: number;
  readonly signal?: AbortSignal | undefined;
  /**
   * Whether slots are granted at all now (false while an operator has paused the rollout): asked
   * before each round and again once a slot is taken, which is given back if the answer changed.
   * @default always
   */
  readonly open?: () => Promise<boolean>;
}

/**
 * Takes one of the certificate's `maxParallel` rollout slots: at most that many nodes hold one at
 * once, cluster-wide, because each slot is a lease in the shared lock table. Slots are per
 * certificate, not per revision, so a newer revision arriving mid-rollout cannot widen the limit.
 * A crashed holder's slot frees itself when its lease expires. While `open` says no (a paused
 * rollout) no slot is taken: the node keeps waiting, as for a busy slot.
 * @returns the lease, or null when aborted or out of patience
 */
export async function acquireSlot(lock: Lock, request: SlotRequest, wait: SlotWait): Promise<Lease | null> {
  const { certificateId, owner, maxParallel, ttlMs } = request;
  const names = slotNames(certificateId, maxParallel);
  const open = wait.open ?? (async () => true);
  const giveUpAt = wait.now().getTime() + wait.maxWaitMs;
  for (;;) {
    if (await open()) {
      const lease = await takeFreeSlot(lock, names, owner, ttlMs, wait.random);
      // Asked again with the slot held: a pause written meanwhile wins, and the slot goes back.
      if (lease && (await open())) return lease;
      // Not released (a store that just failed): the lease expires after ttlMs, as a crashed holder's.
      if (lease) await lock.release(lease).catch(() => undefined);
    }
    if (wait.signal?.aborted || wait.now().getTime() >= giveUpAt) return null;
    await wait.sleep(wait.pollMs * (0.5 + wait.random()), wait.signal);
  }
}

async function takeFreeSlot(
  lock: Lock,
  names: readonly string[],
  owner: string,
  ttlMs: number,
  random: () => number,
): Promise<Lease | null> {
  // Start at a random slot: with many waiters this spreads the conditional writes.
  const offset = Math.floor(random() * names.length);
  for (let i = 0; i < names.length; i++) {
    const name = names[(offset + i) % names.length];
    if (name === undefined) continue;
    const lease = await lock.acquire(name, owner, ttlMs);
    if (lease) return lease;
  }
  return null;
}

/**
 * `open` for {@link acquireSlot}: the rollout record grants slots (it is not paused). Its first
 * answer comes from the record the caller has just read; every later one reads the record again,
 * so the answer given with a slot held is fresh, and {@link RolloutGate.rollout} is that record:
 * the caller goes on with it, without reading it once more.
 */
export class RolloutGate {
  private latest: Rollout | null;
  private known = true;

  constructor(
    private readonly rollouts: Pick<RolloutStore, 'get'>,
    private readonly certificateId: string,
    private readonly revision: number,
    justRead: Rollout | null,
  ) {
    this.latest = justRead;
  }

  readonly open = async (): Promise<boolean> => {
    if (!this.known) this.latest = await this.rollouts.get(this.certificateId, this.revision);
    this.known = false;
    return grantsSlots(this.latest);
  };

  /** The record behind the last answer of {@link RolloutGate.open}. */
  get rollout(): Rollout | null {
    return this.latest;
  }
}

/**
 * The terms a node joins a rollout with: those published with the revision; for a revision
 * published without them (before 0.3), the agent configuration's `rollout.maxParallel`, or 1, and
 * no declared nodes.
 */
export function joinTerms(
  published: RolloutTerms | null,
  agentMaxParallel: number | undefined,
): RolloutTerms {
  return published ?? { maxParallel: agentMaxParallel ?? 1, nodes: null };
}

/**
 * The rollout's `maxParallel` is what every node obeys; an agent configuration that says otherwise
 * is ignored, with a warning (kept loadable, so old agent configurations still start).
 */
export function warnIfOverridden(log: Logger, rollout: Rollout, agentMaxParallel: number | undefined): void {
  if (agentMaxParallel === undefined || agentMaxParallel === rollout.maxParallel) return;
  log.warn('agent rollout.maxParallel ignored', {
    certificateId: rollout.certificateId,
    revision: rollout.revision,
    agentMaxParallel,
    maxParallel: rollout.maxParallel,
  });
}

/**
 * Records that this node serves the revision (the rollout completes with the last awaited node).
 * Best effort, like the status report: the install stands either way.
 */
export async function recordServed(
  deps: { readonly rollouts: Pick<RolloutStore, 'served'>; readonly log: Logger; readonly nodeId: string },
  certificateId: string,
  revision: number,
  now: Date,
): Promise<void> {
  try {
    const rollout = await deps.rollouts.served(certificateId, revision, deps.nodeId, now);
    if (rollout?.state === 'complete' && rollout.completedAt === now.toISOString())
      deps.log.info('rollout complete', { certificateId, revision, nodes: rollout.done.length });
  } catch (error) {
    deps.log.warn('rollout progress not recorded', {
      certificateId,
      revision,
      error: (error as Error).message,
    });
  }
}
