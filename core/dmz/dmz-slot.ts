/**
 * The DMZ slot of a certificate: one lease in the shared lock table, held by whichever pusher is
 * sending that certificate to one of its DMZ instances. DMZ instances usually stand behind one
 * public load balancer; with a restart as their reload, two installing at once would leave it with
 * none in rotation. See docs/design/2026-11-28-dmz.md.
 */
import { acquireSlot } from '../agent/rollout-slot.ts';
import type { Lock } from '../ports/lock.ts';

/** The lease outlives the push it covers by this much (a crashed holder's frees itself). */
const MARGIN_MS = 10_000;
/** Pause between tries for a busy slot (jittered). */
const POLL_MS = 250;

export interface DmzSlotRequest {
  readonly lock: Lock;
  readonly certificateId: string;
  /** Who holds it, as the lock table shows: `<node> for dmz:<instance>`. */
  readonly owner: string;
  /** The most one push may take: the lease lasts that and the margin, and so does the wait. */
  readonly pushTimeoutMs: number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly now: () => Date;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `work` holding the certificate's DMZ slot, once it is free.
 * @returns what `work` returned, or `{ busy: ms }` when the slot stayed taken for the lease's whole
 *   length (ms)
 */
export async function withDmzSlot<T>(
  request: DmzSlotRequest,
  work: () => Promise<T>,
): Promise<{ readonly done: T } | { readonly busyMs: number }> {
  const ttlMs = request.pushTimeoutMs + MARGIN_MS;
  const lease = await acquireSlot(
    request.lock,
    { certificateId: `${request.certificateId}/dmz`, owner: request.owner, maxParallel: 1, ttlMs },
    {
      sleep: request.sleep,
      random: request.random,
      now: request.now,
      pollMs: POLL_MS,
      maxWaitMs: ttlMs,
      signal: request.signal,
    },
  );
  if (!lease) {
    request.signal?.throwIfAborted();
    return { busyMs: ttlMs };
  }
  try {
    return { done: await work() };
  } finally {
    await request.lock.release(lease).catch(() => undefined);
  }
}
