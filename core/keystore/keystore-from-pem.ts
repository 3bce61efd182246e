import { InvalidInputError } from '../errors.ts';
import type { KeystoreFormat } from './formats.ts';
import { buildKeystore, describeKeystore, type KeystoreOutput, type KeystoreReport } from './keystore.ts';
import { checkMaterial } from './material.ts';
import { readCertificates, readPrivateKey } from './pem.ts';

/** PEM texts in, as `acme-ha keystore build` takes them from files. */
export interface PemKeystoreRequest {
  /** A private key: PKCS#8, PKCS#1 or SEC1, not encrypted. */
  readonly keyPem: string;
  /** The certificate, leaf first; it may hold the chain too. */
  readonly certificatePem: string;
  /** Intermediates, the leaf's issuer first. */
  readonly chainPem?: string | undefined;
  readonly format: KeystoreFormat;
  /** Entry name in JKS and PKCS#12 (JKS stores it lower-case, as Java does). @default 'acme-ha' */
  readonly alias?: string | undefined;
  /** Required for JKS and PKCS#12. */
  readonly password?: string | undefined;
  /** A separate password for the key entry (JKS, PKCS#12). @default the store password */
  readonly keyPassword?: string | undefined;
  /** Build a certificate outside its validity window, with a warning. @default false */
  readonly allowExpired?: boolean | undefined;
  /** The time the validity is judged at and JKS entries are dated. @default now */
  readonly now?: Date | undefined;
  /** Names of the three inputs, for error messages. @default 'key', 'certificate', 'chain' */
  readonly sources?: { readonly key?: string; readonly certificate?: string; readonly chain?: string };
}

export interface PemKeystore {
  /** The keystore file's bytes (jks, pkcs12), or the PEM files by name (pem). */
  readonly output: KeystoreOutput;
  /** What the keystore holds, as `keystore inspect` reports it. */
  readonly report: KeystoreReport;
  readonly warnings: readonly string[];
}

/**
 * Builds a keystore from PEM texts after the checks every keystore gets: the key matches the leaf,
 * the chain is in order, the leaf is valid now (unless `allowExpired`). Pure: no I/O.
 * @throws InvalidPemError, KeyMismatchError, ChainOrderError, CertificateValidityError,
 *   KeystorePasswordError, InvalidInputError (no certificate, an unusable alias)
 */
export function keystoreFromPem(request: PemKeystoreRequest): PemKeystore {
  const alias = request.alias ?? 'acme-ha';
  if (!alias.trim() || /[\p{Cc}]/u.test(alias))
    throw new InvalidInputError('the alias must be a non-empty name without control characters');
  const sources = { key: 'key', certificate: 'certificate', chain: 'chain', ...request.sources };
  const [leaf, ...rest] = [
    ...readCertificates(request.certificatePem, sources.certificate),
    ...(request.chainPem === undefined ? [] : readCertificates(request.chainPem, sources.chain)),
  ];
  if (!leaf) throw new InvalidInputError(`${sources.certificate}: no certificate`);
  const material = {
    privateKey: readPrivateKey(request.keyPem, sources.key),
    chain: [leaf, ...rest] as const,
  };
  const now = request.now ?? new Date();
  const warnings = checkMaterial(material, { now, allowExpired: request.allowExpired ?? false });
  const output = buildKeystore(material, {
    format: request.format,
    alias,
    password: request.password,
    keyPassword: request.keyPassword,
    created: now,
  });
  const report = describeKeystore({
    format: request.format,
    alias: request.format === 'jks' ? alias.toLowerCase() : request.format === 'pem' ? null : alias,
    chain: material.chain,
    privateKey: material.privateKey,
  });
  return { output, report, warnings };
}
