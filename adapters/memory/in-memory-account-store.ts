import type { AcmeAccount, AcmeAccountStore } from '../../core/ports/acme-account-store.ts';

export class InMemoryAccountStore implements AcmeAccountStore {
  private readonly accounts = new Map<string, AcmeAccount>();

  async load(directory: string): Promise<AcmeAccount | null> {
    return this.accounts.get(directory) ?? null;
  }

  async save(directory: string, account: AcmeAccount): Promise<void> {
    this.accounts.set(directory, account);
  }
}
