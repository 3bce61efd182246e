/**
 * `acme-ha import`: a certificate a cluster already serves (the `.jks` a CrushFTP node has) adopted as
 * revision 1, with no CA request and no change on the wire. It is checked as an issued certificate is
 * (key matches, chain in order, valid now) and against the configuration (the same names, the
 * configured key type), stored and published through the renewer's own path, so agents install it as
 * usual and the renewer then renews it from its dates.
 */
import type { AcmeHaConfig, CertificateConfig } from '../config/certificate-config.ts';
import { AcmeHaError, InvalidInputError } from '../errors.ts';
import { subjectAltNames } from '../keystore/certificate.ts';
import { checkMaterial, type KeyMaterial } from '../keystore/material.ts';
import { configHash } from './decide.ts';
import { keyTypeOf } from './key-reuse.ts';
import { storeRevisionObjects } from './publish-revision.ts';
import { announceRevision, RENEWAL_LEASE_MS, type RenewerDeps } from './renew-certificate.ts';
import { rolloutTermsOf } from './rollout-terms.ts';
import type { Revision } from './types.ts';

/** Another run holds the certificate's lease (a renewal in progress). */
export class CertificateBusyError extends AcmeHaError {
  override readonly name: string = 'CertificateBusyError';
  override readonly code = 'CERTIFICATE_BUSY';
  override readonly retryable = true;
}

/**
 * Checks `material` against `cert` and publishes it as revision 1.
 * @throws KeyMismatchError, ChainOrderError, CertificateValidityError, InvalidInputError (names, key
 *   type, a revision exists already); CertificateBusyError
 */
export async function importCertificate(
  config: AcmeHaConfig,
  cert: CertificateConfig,
  material: KeyMaterial,
  deps: RenewerDeps,
): Promise<Revision> {
  const now = deps.clock.now();
  checkMaterial(material, { now });
  const names = (list: readonly string[]) => [...new Set(list.map((n) => n.toLowerCase()))].sort();
  const served = names(subjectAltNames(material.chain[0]));
  if (served.join() !== names(cert.domains).join())
    throw new InvalidInputError(
      `the certificate is for ${served.join(', ') || 'no DNS name'}; ${cert.id} in the configuration is for ${names(cert.domains).join(', ')}`,
    );
  const keyType = keyTypeOf(material.privateKey);
  if (keyType !== cert.keyType)
    throw new InvalidInputError(
      `the key is ${keyType ?? 'of a type acme-ha does not order'}; ${cert.id} in the configuration has keyType ${cert.keyType}${keyType ? ` (set keyType: ${keyType} to adopt it)` : ''}`,
    );
  const lease = await deps.lock.acquire(`certificate/${cert.id}`, deps.owner, RENEWAL_LEASE_MS);
  if (!lease) throw new CertificateBusyError(`a renewal of ${cert.id} is running; try again when it is over`);
  try {
    const current = (await deps.state.get(cert.id)).current;
    if (current)
      throw new InvalidInputError(
        `${cert.id} already has revision ${current.revision}: import adopts a certificate before the first order`,
      );
    const directory = cert.directory ?? config.defaults.directory;
    const record = await storeRevisionObjects({
      cert,
      material,
      revision: 1,
      // No issuing CA on record: the renewer then asks no CA for its ARI window and orders the
      // replacement without `replaces` (a CA refuses to replace a certificate it did not issue).
      directory: '',
      configHash: configHash(cert, directory, cert.profile ?? config.defaults.profile),
      now,
      ...deps,
    });
    await deps.state.publish(record, rolloutTermsOf(config, cert));
    deps.log.info('revision imported', { certificateId: cert.id, serial: record.serial });
    await announceRevision(cert, 1, deps);
    return record;
  } finally {
    await deps.lock.release(lease).catch(() => undefined);
  }
}
