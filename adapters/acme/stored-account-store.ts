import { createHash } from 'node:crypto';
import { KeystoreNotFoundError } from '../../core/errors.ts';
import type { AcmeAccount, AcmeAccountStore } from '../../core/ports/acme-account-store.ts';
import type { KeystoreStore } from '../../core/ports/keystore-store.ts';

/** Accounts as objects of the (KMS-encrypted) keystore bucket, one per directory URL. */
export class StoredAccountStore implements AcmeAccountStore {
  constructor(private readonly objects: KeystoreStore) {}

  private key(directory: string): string {
    return `accounts/${createHash('sha256').update(directory).digest('hex').slice(0, 32)}.json`;
  }

  async load(directory: string): Promise<AcmeAccount | null> {
    try {
      return JSON.parse((await this.objects.get(this.key(directory))).toString('utf8')) as AcmeAccount;
    } catch (error) {
      if (error instanceof KeystoreNotFoundError) return null;
      throw error;
    }
  }

  async save(directory: string, account: AcmeAccount): Promise<void> {
    await this.objects.put(this.key(directory), Buffer.from(JSON.stringify(account)));
  }
}
