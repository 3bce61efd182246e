import type { KeyObject, X509Certificate } from 'node:crypto';
import { KeystoreFormatError, KeystorePasswordError } from '../errors.ts';
import { type CertificateSummary, keyMatchesCertificate, summarizeCertificate } from './certificate.ts';
import type { KeystoreFormat } from './formats.ts';
import { decodeJks, encodeJks, type JksEntry } from './jks.ts';
import type { KeyMaterial } from './material.ts';
import { hasPrivateKey, readCertificates, readPrivateKey, toPem } from './pem.ts';
import { openPemDirectory } from './pem-directory.ts';
import { PEM_FILES } from './pem-files.ts';
import { decodePkcs12, encodePkcs12 } from './pkcs12.ts';

/** The files of a PEM bundle (a module of its own, see there). */
export { PEM_FILES };

export interface KeystoreOptions {
  readonly format: KeystoreFormat;
  /** Entry name in JKS and PKCS#12 (JKS stores it lower-case, as Java does). */
  readonly alias: string;
  /** Required for JKS and PKCS#12; PKCS#12 passwords must be ASCII (Java 17 refuses others). */
  readonly password?: string | undefined;
  /**
   * Protects the key entry (JKS, PKCS#12) when the server wants a password of its own for it (Tomcat's
   * `certificateKeyPassword`, Jetty's `keyManagerPassword`); the store password keeps the file's
   * integrity. Not for PEM, whose key is written unencrypted. @default the store password
   */
  readonly keyPassword?: string | undefined;
  /** Extra trusted-certificate entries (JKS only), e.g. the issuing root for clients. */
  readonly trustedCertificates?: readonly { alias: string; certificate: X509Certificate }[];
  /** Creation time written into JKS entries. */
  readonly created: Date;
}

export type KeystoreOutput =
  | { readonly kind: 'file'; readonly bytes: Buffer }
  | { readonly kind: 'directory'; readonly files: ReadonlyMap<string, Buffer> };

/**
 * Encodes checked key material (see `checkMaterial`) as a keystore. Pure: no I/O.
 * @throws KeystorePasswordError for a missing or empty password, a non-ASCII one for PKCS#12, or a key
 *   password for PEM
 */
export function buildKeystore(material: KeyMaterial, options: KeystoreOptions): KeystoreOutput {
  switch (options.format) {
    case 'pem':
      if (options.keyPassword !== undefined)
        throw new KeystorePasswordError('PEM files have no key password: privkey.pem is not encrypted');
      return { kind: 'directory', files: encodePemBundle(material) };
    case 'jks': {
      const { password, keyPassword } = requirePasswords(options);
      const entries: JksEntry[] = [
        { kind: 'privateKey', alias: options.alias, created: options.created, ...material },
        ...(options.trustedCertificates ?? []).map(
          (t): JksEntry => ({ kind: 'trustedCertificate', created: options.created, ...t }),
        ),
      ];
      return { kind: 'file', bytes: encodeJks(entries, password, keyPassword) };
    }
    case 'pkcs12': {
      const { password, keyPassword } = requirePasswords(options);
      if (![password, keyPassword].every((p) => /^[\x20-\x7e]*$/.test(p))) {
        throw new KeystorePasswordError('PKCS#12 passwords must be printable ASCII: Java 17 refuses others');
      }
      if (options.trustedCertificates?.length) {
        throw new KeystoreFormatError('trusted-certificate entries are supported in JKS only');
      }
      return { kind: 'file', bytes: encodePkcs12(material, options.alias, password, keyPassword) };
    }
  }
}

function requirePasswords(options: KeystoreOptions): { password: string; keyPassword: string } {
  if (!options.password)
    throw new KeystorePasswordError(`a ${options.format} keystore needs a non-empty password`);
  if (options.keyPassword === '')
    throw new KeystorePasswordError(
      'the key password must not be empty (leave it out to use the store password)',
    );
  return { password: options.password, keyPassword: options.keyPassword ?? options.password };
}

export function encodePemBundle(material: KeyMaterial): Map<string, Buffer> {
  const [leaf, ...intermediates] = material.chain;
  const certs = (list: readonly X509Certificate[]) => list.map((c) => toPem('CERTIFICATE', c.raw)).join('');
  const key = material.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return new Map([
    [PEM_FILES.fullchain, Buffer.from(certs(material.chain))],
    [PEM_FILES.chain, Buffer.from(certs(intermediates))],
    [PEM_FILES.cert, Buffer.from(certs([leaf]))],
    [PEM_FILES.privkey, Buffer.from(key)],
    [PEM_FILES.combined, Buffer.from(certs(material.chain) + key)],
  ]);
}

/** A keystore as read back: its key entry (or, in a trust store, its first certificate). */
export interface OpenedKeystore {
  readonly format: KeystoreFormat;
  readonly alias: string | null;
  readonly chain: readonly [X509Certificate, ...X509Certificate[]];
  readonly privateKey: KeyObject | null;
}

export function detectFormat(bytes: Buffer): KeystoreFormat {
  if (bytes.length >= 4 && (bytes.readUInt32BE(0) === 0xfeedfeed || bytes.readUInt32BE(0) === 0xcececece))
    return 'jks';
  if (bytes[0] === 0x30) return 'pkcs12';
  if (bytes.subarray(0, 4096).toString('latin1').includes('-----BEGIN ')) return 'pem';
  throw new KeystoreFormatError('not a JKS, PKCS#12 or PEM keystore');
}

/**
 * A keystore as read from disk: one file's bytes (JKS, PKCS#12, a PEM file), or a PEM directory's
 * files by name, as {@link buildKeystore} makes them (`KeystoreOutput`'s `files`).
 */
export type KeystoreContent = Buffer | ReadonlyMap<string, Buffer>;

/**
 * Parses a keystore of any supported format — a JKS, PKCS#12 or PEM file, or a PEM directory — and
 * decrypts its key: with `keyPassword` when the key entry has a password of its own, with the store
 * `password` otherwise (an absent or empty `keyPassword`). Both are ignored for PEM.
 * @throws KeystorePasswordError (missing or wrong password), KeystoreFormatError, InvalidPemError
 */
export function openKeystore(
  content: KeystoreContent,
  password: string | undefined,
  source: string,
  keyPassword?: string | undefined,
): OpenedKeystore {
  if (!Buffer.isBuffer(content)) return { format: 'pem', alias: null, ...openPemDirectory(content, source) };
  const bytes = content;
  const format = detectFormat(bytes);
  if (format === 'pem') {
    const text = bytes.toString('utf8');
    const [leaf, ...rest] = readCertificates(text, source);
    if (!leaf) throw new KeystoreFormatError(`${source}: no certificate`);
    return {
      format,
      alias: null,
      chain: [leaf, ...rest],
      privateKey: hasPrivateKey(text) ? readPrivateKey(text, source) : null,
    };
  }
  if (!password) throw new KeystorePasswordError(`${source} is a ${format} keystore: a password is needed`);
  const keyPw = keyPassword || password;
  if (format === 'pkcs12') {
    const { alias, material } = decodePkcs12(bytes, password, keyPw);
    return { format, alias, chain: material.chain, privateKey: material.privateKey };
  }
  const entries = decodeJks(bytes, password, keyPw);
  const keyEntry = entries.find((e) => e.kind === 'privateKey');
  if (keyEntry) {
    const [leaf, ...rest] = keyEntry.chain;
    if (!leaf) throw new KeystoreFormatError(`${source}: the key entry has no certificate`);
    return { format, alias: keyEntry.alias, chain: [leaf, ...rest], privateKey: keyEntry.privateKey };
  }
  const trusted = entries.find((e) => e.kind === 'trustedCertificate');
  if (!trusted) throw new KeystoreFormatError(`${source}: the keystore is empty`);
  return { format, alias: trusted.alias, chain: [trusted.certificate], privateKey: null };
}

/** The shape of `acme-ha keystore inspect --json`. */
export interface KeystoreReport extends CertificateSummary {
  readonly format: KeystoreFormat;
  readonly alias: string | null;
  /** Certificates in the key entry's chain, leaf included. */
  readonly chainLength: number;
  /** null when the keystore holds no private key (a PEM certificate file, a trust store). */
  readonly keyMatchesCertificate: boolean | null;
}

export function describeKeystore(opened: OpenedKeystore): KeystoreReport {
  const [leaf] = opened.chain;
  return {
    format: opened.format,
    alias: opened.alias,
    ...summarizeCertificate(leaf),
    chainLength: opened.chain.length,
    keyMatchesCertificate: opened.privateKey ? keyMatchesCertificate(opened.privateKey, leaf) : null,
  };
}

/**
 * What a keystore holds, from a file's bytes or a PEM directory's files: `keystore inspect` as a
 * function. The passwords as for {@link openKeystore}.
 * @throws KeystoreFormatError, KeystorePasswordError, InvalidPemError
 */
export function inspectKeystore(
  content: KeystoreContent,
  password: string | undefined,
  source: string,
  keyPassword?: string | undefined,
): KeystoreReport {
  return describeKeystore(openKeystore(content, password, source, keyPassword));
}
