import type { Lease, Lock } from '../ports/lock.ts';

/** The lease names of a certificate's rollout slots: `rollout/<id>/slot-0` … `slot-<n-1>`. */
export function slotNames(certificateId: string, maxParallel: number): string[] {
  return Array.from({ length: maxParallel }, (_, i) => `rollout/${certificateId}/slot-${i}`);
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
}

/**
 * Takes one of the certificate's `maxParallel` rollout slots: at most that many nodes hold one at
 * once, cluster-wide, because each slot is a lease in the shared lock table. Slots are per
 * certificate, not per revision, so a newer revision arriving mid-rollout cannot widen the limit.
 * A crashed holder's slot frees itself when its lease expires.
 * @returns the lease, or null when aborted or out of patience
 */
export async function acquireSlot(lock: Lock, request: SlotRequest, wait: SlotWait): Promise<Lease | null> {
  const { certificateId, owner, maxParallel, ttlMs } = request;
  const names = slotNames(certificateId, maxParallel);
  const giveUpAt = wait.now().getTime() + wait.maxWaitMs;
  for (;;) {
    // Start at a random slot: with many waiters this spreads the conditional writes.
    const offset = Math.floor(wait.random() * names.length);
    for (let i = 0; i < names.length; i++) {
      const name = names[(offset + i) % names.length];
      if (name === undefined) continue;
      const lease = await lock.acquire(name, owner, ttlMs);
      if (lease) return lease;
    }
    if (wait.signal?.aborted || wait.now().getTime() >= giveUpAt) return null;
    await wait.sleep(wait.pollMs * (0.5 + wait.random()), wait.signal);
  }
}
