import type { RevocationReason } from '../renewal/types.ts';

/**
 * What an operator does with the renewer's ACME account at one CA, besides ordering: revoking a
 * certificate it ordered (RFC 8555 §7.6) and replacing its key (§7.3.5). The account is the one the
 * renewer saved for that directory.
 */
export interface AcmeAccountAdmin {
  /**
   * Revokes `certificatePem` (the leaf) for `reason`.
   * @throws NoAcmeAccountError when no account was saved for the CA; OrderRejectedError when the CA
   *   refuses (already revoked, not ours); CaUnreachableError
   */
  revoke(directory: string, certificatePem: string, reason: RevocationReason): Promise<void>;
  /**
   * A new account key, the CA told with both keys (keyChange), then saved in place of the old one:
   * the next order signs with it.
   * @returns the account URL (unchanged by a key change)
   * @throws NoAcmeAccountError, CaUnreachableError, OrderRejectedError
   */
  rolloverKey(directory: string): Promise<{ readonly url: string }>;
}
