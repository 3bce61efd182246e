import { describe, expect, it } from 'vitest';
import type { ManualClock } from '../../adapters/time/manual-clock.ts';
import type { ChallengeStore } from '../../core/ports/challenge-store.ts';
import { uniqueName } from './unique-name.ts';

export interface ChallengeStoreSubject {
  readonly store: ChallengeStore;
  /** The clock the store judges expiry by. */
  readonly clock: ManualClock;
}

const HOUR_MS = 3_600_000;

/** The key authorization `pending()` lists for a token, or null: what a responder serves. */
async function served(store: ChallengeStore, token: string): Promise<string | null> {
  return (await store.pending()).find((p) => p.token === token)?.keyAuthorization ?? null;
}

/** The promises of core/ports/challenge-store.ts. */
export function describeChallengeStoreContract(
  name: string,
  make: () => ChallengeStoreSubject | Promise<ChallengeStoreSubject>,
): void {
  describe(`ChallengeStore contract: ${name}`, () => {
    const inAnHour = (clock: ManualClock) => new Date(clock.now().getTime() + HOUR_MS);

    it("serves a stored token's key authorization", async () => {
      const { store, clock } = await make();
      const token = uniqueName('token');

      await store.put(token, `${token}.thumbprint`, inAnHour(clock));

      expect(await served(store, token)).toBe(`${token}.thumbprint`);
    });

    it('lists every token in flight in one read, with its expiry', async () => {
      const { store, clock } = await make();
      const [a, b] = [uniqueName('token'), uniqueName('token')];
      await store.put(a, 'a-key', inAnHour(clock));
      await store.put(b, 'b-key', inAnHour(clock));

      const pending = await store.pending();

      expect(pending).toEqual(
        expect.arrayContaining([
          { token: a, keyAuthorization: 'a-key', validUntil: inAnHour(clock).getTime() },
          { token: b, keyAuthorization: 'b-key', validUntil: inAnHour(clock).getTime() },
        ]),
      );
    });

    it('answers null for an unknown token without throwing', async () => {
      const { store } = await make();

      expect(await served(store, uniqueName('token'))).toBeNull();
    });

    it('overwrites a token stored again, and storing the same one twice is harmless', async () => {
      const { store, clock } = await make();
      const token = uniqueName('token');
      await store.put(token, 'first', inAnHour(clock));
      await store.put(token, 'second', inAnHour(clock));
      await store.put(token, 'second', inAnHour(clock));

      expect(await served(store, token)).toBe('second');
    });

    it('serves a token until its expiresAt and not after it', async () => {
      const { store, clock } = await make();
      // Not on a whole second: expiry must not be rounded to the store's own resolution.
      clock.set(new Date('2031-03-01T12:00:00.400Z'));
      const token = uniqueName('token');
      const expiresAt = new Date('2031-03-01T12:00:01.400Z');
      await store.put(token, 'key-authorization', expiresAt);

      clock.set(new Date(expiresAt.getTime() - 1));
      expect(await served(store, token)).toBe('key-authorization');
      clock.set(new Date(expiresAt.getTime() + 1));
      expect(await served(store, token)).toBeNull();
    });

    it('serves an expired token again once it is stored with a later expiry', async () => {
      const { store, clock } = await make();
      const token = uniqueName('token');
      await store.put(token, 'key-authorization', new Date(clock.now().getTime() - 1));
      expect(await served(store, token)).toBeNull();

      await store.put(token, 'key-authorization', inAnHour(clock));

      expect(await served(store, token)).toBe('key-authorization');
    });

    it('removes a token, and removing an unknown or removed token is not an error', async () => {
      const { store, clock } = await make();
      const token = uniqueName('token');
      await store.put(token, 'key-authorization', inAnHour(clock));

      await store.remove(token);
      await store.remove(token);
      await store.remove(uniqueName('token'));

      expect(await served(store, token)).toBeNull();
    });

    it('keeps tokens apart', async () => {
      const { store, clock } = await make();
      const token = uniqueName('token');
      await store.put(token, 'one', inAnHour(clock));
      await store.put(`${token}x`, 'two', inAnHour(clock));

      await store.remove(`${token}x`);

      expect(await served(store, token)).toBe('one');
    });
  });
}
