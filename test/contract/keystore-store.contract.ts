import { describe, expect, it } from 'vitest';
import { KeystoreNotFoundError } from '../../core/errors.ts';
import type { KeystoreStore } from '../../core/ports/keystore-store.ts';
import { uniqueName } from './unique-name.ts';

export interface KeystoreStoreSubject {
  readonly store: KeystoreStore;
}

/** Every byte value once: no encoding may change them on the way. */
function someBytes(): Uint8Array {
  return Uint8Array.from({ length: 512 }, (_, i) => i % 256);
}

function aKey(): string {
  return `certificates/${uniqueName('cert')}/000001/app.jks`;
}

/** The promises of core/ports/keystore-store.ts. */
export function describeKeystoreStoreContract(
  name: string,
  make: () => KeystoreStoreSubject | Promise<KeystoreStoreSubject>,
): void {
  describe(`KeystoreStore contract: ${name}`, () => {
    it('returns the bytes that were put, byte for byte', async () => {
      const { store } = await make();
      const key = aKey();

      await store.put(key, someBytes());

      expect(new Uint8Array(await store.get(key))).toEqual(someBytes());
    });

    it('throws KeystoreNotFoundError naming the key for a key never put', async () => {
      const { store } = await make();
      const key = aKey();

      const error = await store.get(key).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(KeystoreNotFoundError);
      expect(error).toMatchObject({ key, code: 'KEYSTORE_NOT_FOUND' });
    });

    it('is idempotent for the same key and bytes', async () => {
      const { store } = await make();
      const key = aKey();

      await store.put(key, someBytes());
      await store.put(key, someBytes());

      expect(new Uint8Array(await store.get(key))).toEqual(someBytes());
    });

    it('keeps keys that share a prefix apart', async () => {
      const { store } = await make();
      const key = aKey();
      await store.put(key, Buffer.from('jks'));

      await expect(store.get(`${key}.previous`)).rejects.toBeInstanceOf(KeystoreNotFoundError);
      await expect(store.get(key.slice(0, -1))).rejects.toBeInstanceOf(KeystoreNotFoundError);
    });

    it('keeps an object unchanged when a caller changes the bytes it put or got', async () => {
      const { store } = await make();
      const key = aKey();
      const put = someBytes();
      await store.put(key, put);

      put.fill(0);
      (await store.get(key)).fill(0);

      expect(new Uint8Array(await store.get(key))).toEqual(someBytes());
    });
  });
}
