/**
 * `acme-ha revoke` (certbot's `revoke`): the current revision's certificate revoked at the CA that
 * issued it, on the renewer's account there, and remembered in the state, so that the next run (or
 * `--renew` at once) replaces it, with a new key when the reason is `keyCompromise`.
 */
import type { CertificateConfig } from '../config/certificate-config.ts';
import { InvalidInputError } from '../errors.ts';
import type { AcmeAccountAdmin } from '../ports/acme-account-admin.ts';
import type { CertificateStateStore } from '../ports/certificate-state-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { KeystoreStore } from '../ports/keystore-store.ts';
import type { Logger } from '../ports/logger.ts';
import type { SecretResolver } from '../ports/secret-resolver.ts';
import { readRevisionMaterial } from './key-reuse.ts';
import type { Revocation, RevocationReason } from './types.ts';

export interface RevokeDeps {
  readonly state: Pick<CertificateStateStore, 'get' | 'recordRevocation'>;
  readonly keystores: Pick<KeystoreStore, 'get'>;
  readonly secrets: SecretResolver;
  readonly accountAdmin: AcmeAccountAdmin;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * Revokes the current revision of `cert`.
 * @returns the revocation, and whether it had been revoked already (then nothing is asked of the CA)
 * @throws InvalidInputError when there is no revision; the CA's errors (IssuanceError)
 */
export async function revokeCurrent(
  cert: CertificateConfig,
  reason: RevocationReason,
  deps: RevokeDeps,
): Promise<{ readonly revocation: Revocation; readonly already: boolean }> {
  const state = await deps.state.get(cert.id);
  const current = state.current;
  if (!current) throw new InvalidInputError(`${cert.id} has no revision to revoke`);
  if (state.revocation?.revision === current.revision) return { revocation: state.revocation, already: true };
  const { chain } = await readRevisionMaterial(cert, current, deps);
  await deps.accountAdmin.revoke(current.directory, chain[0].toString(), reason);
  const revocation: Revocation = {
    revision: current.revision,
    serial: current.serial,
    reason,
    revokedAt: deps.clock.now().toISOString(),
  };
  await deps.state.recordRevocation(cert.id, revocation);
  deps.log.info('revocation recorded', { certificateId: cert.id, ...revocation });
  return { revocation, already: false };
}
