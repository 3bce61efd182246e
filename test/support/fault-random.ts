/**
 * Seeded randomness for the fault suites: every run prints its seed, and the same seed replays the
 * same kill points, crash choices and outage moments.
 */

/** mulberry32: small, fast, good enough to spread fault points; not for cryptography. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `FAULT_SEED` when set (to replay a reported failure), else the suite's fixed seed. */
export function faultSeed(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const text = env.FAULT_SEED;
  if (text === undefined || text === '') return fallback;
  const seed = Number(text);
  if (!Number.isInteger(seed)) throw new Error(`FAULT_SEED must be an integer, not ${text}`);
  return seed;
}

/**
 * `FAULT_LONG=1` selects the long mode (documented in docs/reliability.md); CI runs the short mode,
 * which is never skipped.
 */
export function faultLong(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FAULT_LONG === '1';
}

/** Waits `us` microseconds by spinning: setTimeout cannot place a kill inside a 2 ms write. */
export function spinMicroseconds(us: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < end) {
    // spin
  }
}
