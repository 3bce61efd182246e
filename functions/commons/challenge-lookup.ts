import { sleep } from '../../adapters/time/sleep.ts';
import { ChallengeCache } from '../../core/challenge/challenge-cache.ts';
import type { ChallengeStore } from '../../core/ports/challenge-store.ts';
import { systemClock } from '../../core/ports/clock.ts';

/**
 * The tokens a responder Lambda answers from. A container serves one request at a time, so waiting
 * for a shared read would coalesce nothing and bill the wait as duration (half a second of a 128 MB
 * function costs about four consistent reads): a request the container's cache cannot answer reads
 * the pending tokens at once. A token read once is answered from memory for the rest of its life.
 */
export function lambdaChallenges(store: Pick<ChallengeStore, 'pending'>): ChallengeCache {
  return new ChallengeCache(store, { minReadIntervalMs: 0, clock: systemClock, sleep });
}
