import { describe, expect, it } from 'vitest';
import type { ManualClock } from '../../adapters/time/manual-clock.ts';
import type { Lock } from '../../core/ports/lock.ts';
import { uniqueName } from './unique-name.ts';

export interface LockSubject {
  readonly lock: Lock;
  /** The clock the lock judges expiry by. */
  readonly clock: ManualClock;
}

const TTL_MS = 60_000;

/** The promises of core/ports/lock.ts. */
export function describeLockContract(name: string, make: () => LockSubject | Promise<LockSubject>): void {
  describe(`Lock contract: ${name}`, () => {
    it('grants a free lease to its owner until now + ttl', async () => {
      const { lock, clock } = await make();
      const lease = uniqueName('lease');
      const now = clock.now();

      const held = await lock.acquire(lease, 'renewer-a', TTL_MS);

      expect(held).toEqual({
        name: lease,
        owner: 'renewer-a',
        token: expect.stringMatching(/.+/),
        expiresAt: new Date(now.getTime() + TTL_MS),
      });
    });

    it('refuses a lease someone holds', async () => {
      const { lock } = await make();
      const lease = uniqueName('lease');
      await lock.acquire(lease, 'renewer-a', TTL_MS);

      expect(await lock.acquire(lease, 'renewer-b', TTL_MS)).toBeNull();
    });

    it('holds a lease up to the instant it expires, and frees it a millisecond later', async () => {
      const { lock, clock } = await make();
      const lease = uniqueName('lease');
      const first = await lock.acquire(lease, 'renewer-a', TTL_MS);
      if (!first) throw new Error('no lease');

      clock.set(first.expiresAt);
      expect(await lock.acquire(lease, 'renewer-b', TTL_MS)).toBeNull();
      clock.advance(1);
      const second = await lock.acquire(lease, 'renewer-b', TTL_MS);

      expect(second?.owner).toBe('renewer-b');
      expect(second?.token).not.toBe(first.token);
    });

    it('frees the lease on release, and a re-acquired lease has a new token', async () => {
      const { lock } = await make();
      const lease = uniqueName('lease');
      const first = await lock.acquire(lease, 'renewer-a', TTL_MS);
      if (!first) throw new Error('no lease');

      await lock.release(first);
      const again = await lock.acquire(lease, 'renewer-a', TTL_MS);

      expect(again?.owner).toBe('renewer-a');
      expect(again?.token).not.toBe(first.token);
    });

    it("ignores the release of a lost lease and leaves the new holder's lease in place", async () => {
      const { lock, clock } = await make();
      const lease = uniqueName('lease');
      const lost = await lock.acquire(lease, 'renewer-a', TTL_MS);
      if (!lost) throw new Error('no lease');
      clock.advance(TTL_MS + 1);
      const taken = await lock.acquire(lease, 'renewer-b', TTL_MS);

      await lock.release(lost);
      await lock.release(lost);

      expect(taken).not.toBeNull();
      expect(await lock.acquire(lease, 'renewer-c', TTL_MS)).toBeNull();
    });

    it('lets exactly one of many simultaneous acquires win', async () => {
      const { lock } = await make();
      const lease = uniqueName('lease');
      const owners = ['renewer-a', 'renewer-b', 'renewer-c', 'renewer-d', 'renewer-e'];

      const results = await Promise.all(owners.map((owner) => lock.acquire(lease, owner, TTL_MS)));

      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('keeps leases of different names apart', async () => {
      const { lock } = await make();
      const lease = uniqueName('lease');
      await lock.acquire(lease, 'renewer-a', TTL_MS);

      expect(await lock.acquire(`${lease}-other`, 'renewer-b', TTL_MS)).not.toBeNull();
    });
  });
}
