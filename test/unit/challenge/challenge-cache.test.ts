/**
 * core/challenge/challenge-cache.ts: what every responder answers from. Against an in-memory store
 * (the DynamoDB one passes the same ChallengeStore contract) that counts its reads, on a manual
 * clock that the cache's sleep advances, so time in these tests is exact.
 */
import { describe, expect, it } from 'vitest';
import { InMemoryChallengeStore } from '../../../adapters/memory/in-memory-challenge-store.ts';
import { ManualClock } from '../../../adapters/time/manual-clock.ts';
import { ChallengeCache } from '../../../core/challenge/challenge-cache.ts';
import type { PendingChallenge } from '../../../core/ports/challenge-store.ts';

const HOUR_MS = 3_600_000;
const token = (n: number) => `tok${String(n).padStart(20, '0')}`;

function aCache(minReadIntervalMs = 500) {
  const clock = new ManualClock(new Date('2031-03-01T12:00:00.000Z'));
  const store = new InMemoryChallengeStore(clock);
  let reads = 0;
  const counting = {
    pending: () => {
      reads++;
      return store.pending();
    },
  };
  const cache = new ChallengeCache(counting, {
    minReadIntervalMs,
    clock,
    sleep: async (ms) => clock.advance(ms),
  });
  const inAnHour = () => new Date(clock.now().getTime() + HOUR_MS);
  return { cache, store, clock, inAnHour, reads: () => reads };
}

describe('ChallengeCache', () => {
  it('answers a token it read without reading again, until the token expires', async () => {
    const { cache, store, clock, reads } = aCache();
    await store.put(token(1), 'key-1', new Date(clock.now().getTime() + 60_000));

    expect(await cache.get(token(1))).toBe('key-1');
    for (let i = 0; i < 100; i++) expect(await cache.get(token(1))).toBe('key-1');
    expect(reads()).toBe(1);

    clock.advance(60_000);
    expect(await cache.get(token(1))).toBeNull();
  });

  it('reads at most once per interval under a flood of made-up tokens, and answers each 404', async () => {
    const { cache, clock, reads } = aCache(500);
    const began = clock.now().getTime();
    // 10,000 requests in waves of 100 at once, as many connections do.
    for (let wave = 0; wave < 100; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => cache.get(token(100 + wave * 100 + i))),
      );
      expect(answers.every((a) => a === null)).toBe(true);
    }
    const elapsed = clock.now().getTime() - began;
    // No two reads closer than the interval: the requests of a wave share at most two reads (one
    // that began with the first request, one after all had come in).
    expect(reads()).toBeLessThanOrEqual(Math.floor(elapsed / 500) + 1);
    expect(reads()).toBeLessThanOrEqual(200);
  });

  it('serves a token written during the flood at the next read', async () => {
    const { cache, store, inAnHour, reads } = aCache(500);
    await Promise.all(Array.from({ length: 50 }, (_, i) => cache.get(token(1000 + i))));
    await store.put(token(7), 'key-7', inAnHour());
    const before = reads();

    const [real, ...noise] = await Promise.all([
      cache.get(token(7)),
      ...Array.from({ length: 50 }, (_, i) => cache.get(token(2000 + i))),
    ]);

    expect(real).toBe('key-7');
    expect(noise.every((a) => a === null)).toBe(true);
    expect(reads() - before).toBe(1);
  });

  it('does not count a read that was under way when the request came in', async () => {
    const clock = new ManualClock();
    const tokens: PendingChallenge[] = [];
    const reads: ((list: PendingChallenge[]) => void)[] = [];
    const cache = new ChallengeCache(
      // Each read answers what the store held when it began, once the test lets it finish.
      {
        pending: () => {
          const snapshot = [...tokens];
          return new Promise((resolve) => reads.push(() => resolve(snapshot)));
        },
      },
      { minReadIntervalMs: 0, clock, sleep: async () => {} },
    );
    const early = cache.get(token(1));
    await Promise.resolve();
    expect(reads).toHaveLength(1);
    // The token is written while the first read is under way; then the CA asks for it.
    tokens.push({ token: token(2), keyAuthorization: 'key-2', validUntil: clock.now().getTime() + HOUR_MS });
    const late = cache.get(token(2));
    reads[0]?.([]);
    expect(await early).toBeNull();
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toHaveLength(2);
    reads[1]?.([]);
    expect(await late).toBe('key-2');
  });

  it('answers from a read under way when that read finds the token (the names of one order)', async () => {
    const { cache, store, inAnHour, reads } = aCache(500);
    await cache.get(token(0));
    for (const n of [1, 2, 3]) await store.put(token(n), `key-${n}`, inAnHour());
    // The CA asks for the three at once: one read finds them all.
    const before = reads();
    expect(await Promise.all([1, 2, 3].map((n) => cache.get(token(n))))).toEqual(['key-1', 'key-2', 'key-3']);
    expect(reads() - before).toBe(1);
  });

  it('fails the requests of a read the store refused, and reads again after the interval', async () => {
    const { cache, store, clock, inAnHour } = aCache(500);
    let down = true;
    const flaky = new ChallengeCache(
      { pending: () => (down ? Promise.reject(new Error('table unreachable')) : store.pending()) },
      { minReadIntervalMs: 500, clock, sleep: async (ms) => clock.advance(ms) },
    );
    await store.put(token(3), 'key-3', inAnHour());
    await expect(flaky.get(token(3))).rejects.toThrow('table unreachable');
    down = false;
    const before = clock.now().getTime();
    expect(await flaky.get(token(3))).toBe('key-3');
    expect(clock.now().getTime() - before).toBe(500);
    expect(await cache.get(token(3))).toBe('key-3');
  });

  it('with no interval, reads for every request it cannot answer (Lambda)', async () => {
    const { cache, reads } = aCache(0);
    for (let i = 0; i < 5; i++) expect(await cache.get(token(i))).toBeNull();
    expect(reads()).toBe(5);
  });
});
