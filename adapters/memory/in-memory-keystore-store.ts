import { KeystoreNotFoundError } from '../../core/errors.ts';
import type { KeystoreStore } from '../../core/ports/keystore-store.ts';

export class InMemoryKeystoreStore implements KeystoreStore {
  readonly objects = new Map<string, Buffer>();

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.objects.set(key, Buffer.from(bytes));
  }

  async get(key: string): Promise<Buffer> {
    const bytes = this.objects.get(key);
    if (!bytes) throw new KeystoreNotFoundError(key);
    // A copy, as S3 returns: stored objects never change, whatever the caller does with its bytes.
    return Buffer.from(bytes);
  }
}
