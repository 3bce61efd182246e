import { describe, expect, it } from 'vitest';
import type { AcmeAccount, AcmeAccountStore } from '../../core/ports/acme-account-store.ts';
import { uniqueName } from './unique-name.ts';

export interface AcmeAccountStoreSubject {
  readonly store: AcmeAccountStore;
}

function anAccount(overrides: Partial<AcmeAccount> = {}): AcmeAccount {
  return {
    keyPem:
      '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n',
    url: `https://ca.acme-ha.test/acme/acct/${uniqueName('account')}`,
    ...overrides,
  };
}

function aDirectory(): string {
  return `https://ca.acme-ha.test/${uniqueName('ca')}/directory`;
}

/** The promises of core/ports/acme-account-store.ts. */
export function describeAcmeAccountStoreContract(
  name: string,
  make: () => AcmeAccountStoreSubject | Promise<AcmeAccountStoreSubject>,
): void {
  describe(`AcmeAccountStore contract: ${name}`, () => {
    it('has no account for a directory never saved', async () => {
      const { store } = await make();

      expect(await store.load(aDirectory())).toBeNull();
    });

    it('loads the account saved for a directory', async () => {
      const { store } = await make();
      const directory = aDirectory();
      const account = anAccount();

      await store.save(directory, account);

      expect(await store.load(directory)).toEqual(account);
    });

    it('replaces the account when one is saved again', async () => {
      const { store } = await make();
      const directory = aDirectory();
      await store.save(directory, anAccount());
      const replacement = anAccount({ keyPem: 'another key' });

      await store.save(directory, replacement);

      expect(await store.load(directory)).toEqual(replacement);
    });

    it('keeps the accounts of different directories apart', async () => {
      const { store } = await make();
      const directory = aDirectory();
      const account = anAccount();
      await store.save(directory, account);

      await store.save(`${directory}/`, anAccount());

      expect(await store.load(directory)).toEqual(account);
      expect(await store.load(directory.replace('/directory', '/dir'))).toBeNull();
    });
  });
}
