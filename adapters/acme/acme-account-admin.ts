/**
 * Revocation and account key rollover with acme-client, on the account the renewer saved for a CA.
 */
import acme from 'acme-client';
import { NoAcmeAccountError } from '../../core/errors.ts';
import type { AcmeAccountAdmin } from '../../core/ports/acme-account-admin.ts';
import type { AcmeAccount, AcmeAccountStore } from '../../core/ports/acme-account-store.ts';
import type { Logger } from '../../core/ports/logger.ts';
import { REVOCATION_REASONS, type RevocationReason } from '../../core/renewal/types.ts';
import { acmeClient } from './acme-client-issuer.ts';
import { installCaTransport } from './ca-transport.ts';

export class AcmeClientAccountAdmin implements AcmeAccountAdmin {
  constructor(
    private readonly options: {
      readonly accounts: AcmeAccountStore;
      readonly log: Logger;
      /** A CA to trust besides the system's (Pebble's). */
      readonly extraCaPem?: string | undefined;
      readonly pollIntervalMs?: number;
    },
  ) {
    installCaTransport({ extraCaPem: options.extraCaPem, log: options.log });
  }

  async revoke(directory: string, certificatePem: string, reason: RevocationReason): Promise<void> {
    const client = this.client(directory, await this.account(directory));
    // Signed with the account key (jwk-less, kid): the CA checks the account ordered it.
    await client.revokeCertificate(certificatePem, { reason: REVOCATION_REASONS[reason] });
    this.options.log.info('certificate revoked', { directory, reason });
  }

  async rolloverKey(directory: string): Promise<{ readonly url: string }> {
    const account = await this.account(directory);
    const keyPem = (await acme.crypto.createPrivateEcdsaKey()).toString();
    await this.client(directory, account).updateAccountKey(keyPem);
    // Saved only once the CA took it: until then the old key is the account's.
    await this.options.accounts.save(directory, { keyPem, url: account.url });
    this.options.log.info('account key rolled over', { directory, account: account.url });
    return { url: account.url };
  }

  private async account(directory: string): Promise<AcmeAccount> {
    const saved = await this.options.accounts.load(directory);
    if (!saved) throw new NoAcmeAccountError(directory);
    return saved;
  }

  private client(directory: string, account: AcmeAccount): acme.Client {
    return acmeClient(
      { directoryUrl: directory, accountKey: account.keyPem, accountUrl: account.url },
      this.options.pollIntervalMs ?? 1000,
    );
  }
}
