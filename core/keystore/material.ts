import type { KeyObject, X509Certificate } from 'node:crypto';
import { CertificateValidityError, ChainOrderError, KeyMismatchError } from '../errors.ts';
import { isIssuedBy, keyMatchesCertificate } from './certificate.ts';

/** A private key with its certificate chain, leaf first, each certificate issued by the next one. */
export interface KeyMaterial {
  readonly privateKey: KeyObject;
  readonly chain: readonly [X509Certificate, ...X509Certificate[]];
}

export interface MaterialCheckOptions {
  readonly now: Date;
  /** Accept a certificate outside its validity window; the problem is returned as a warning. */
  readonly allowExpired?: boolean;
}

/**
 * Checks that key, leaf and chain belong together before anything is written: the key matches the
 * leaf, the chain is in order, and the leaf is inside its validity window.
 * @throws KeyMismatchError, ChainOrderError, CertificateValidityError
 * @returns warnings that `allowExpired` turned from errors into notes
 */
export function checkMaterial(material: KeyMaterial, options: MaterialCheckOptions): string[] {
  const [leaf] = material.chain;
  if (!keyMatchesCertificate(material.privateKey, leaf)) {
    throw new KeyMismatchError('the private key does not match the certificate');
  }
  for (let i = 0; i + 1 < material.chain.length; i++) {
    const cert = material.chain[i];
    const issuer = material.chain[i + 1];
    if (!cert || !issuer || !isIssuedBy(cert, issuer)) throw new ChainOrderError(i);
  }
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (options.now < notBefore || options.now > notAfter) {
    const error = new CertificateValidityError(notBefore, notAfter, options.now);
    if (!options.allowExpired) throw error;
    return [error.message];
  }
  return [];
}
