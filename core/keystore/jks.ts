/**
 * Java KeyStore (JKS) reading and writing. No npm library writes JKS (jks-js only reads it), so this
 * follows `sun.security.provider.JavaKeyStore` and `KeyProtector` of OpenJDK byte for byte:
 *
 *   magic 0xFEEDFEED, version 2, entry count, entries, then SHA-1(password ‖ "Mighty Aphrodite" ‖ body).
 *   PrivateKeyEntry: tag 1, alias, created (ms), EncryptedPrivateKeyInfo (Sun's proprietary
 *   OID 1.3.6.1.4.1.42.2.17.1.1: salt ‖ PKCS#8 XOR SHA-1 keystream ‖ SHA-1 check, all keyed by the
 *   key password, which may differ from the store password), chain.
 *   TrustedCertEntry: tag 2, alias, created (ms), one certificate.
 *
 * Java lower-cases aliases when it stores them and when it looks them up, so we store them lower-case.
 */
import {
  createHash,
  createPrivateKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
  X509Certificate,
} from 'node:crypto';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { KeystoreFormatError, KeystorePasswordError } from '../errors.ts';
import { ByteReader, ByteWriter, utf16be } from './bytes.ts';

const MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;
const VERSION = 2;
const TAG_PRIVATE_KEY = 1;
const TAG_TRUSTED_CERT = 2;
const SUN_KEY_PROTECTOR_OID = '1.3.6.1.4.1.42.2.17.1.1';
const DIGEST_LENGTH = 20;
const INTEGRITY_SALT = Buffer.from('Mighty Aphrodite', 'utf8');

export type JksEntry =
  | {
      readonly kind: 'privateKey';
      readonly alias: string;
      readonly created: Date;
      readonly privateKey: KeyObject;
      readonly chain: readonly X509Certificate[];
    }
  | {
      readonly kind: 'trustedCertificate';
      readonly alias: string;
      readonly created: Date;
      readonly certificate: X509Certificate;
    };

/**
 * Writes a JKS keystore: `password` keys the integrity digest, `keyPassword` protects every private
 * key (by default the store password, as keytool does; Tomcat's `certificateKeyPassword` and Jetty's
 * `keyManagerPassword` name a separate one).
 */
export function encodeJks(entries: readonly JksEntry[], password: string, keyPassword = password): Buffer {
  const pw = utf16be(password);
  const keyPw = utf16be(keyPassword);
  const out = new ByteWriter().u32(MAGIC).u32(VERSION).u32(entries.length);
  for (const entry of entries) {
    const alias = jksAlias(entry.alias);
    if (entry.kind === 'privateKey') {
      out.u32(TAG_PRIVATE_KEY).javaUtf(alias).u64(entry.created.getTime());
      out.block(protectKey(entry.privateKey.export({ format: 'der', type: 'pkcs8' }), keyPw));
      out.u32(entry.chain.length);
      for (const cert of entry.chain) out.javaUtf('X.509').block(cert.raw);
    } else {
      out.u32(TAG_TRUSTED_CERT).javaUtf(alias).u64(entry.created.getTime());
      out.javaUtf('X.509').block(entry.certificate.raw);
    }
  }
  const body = out.toBuffer();
  return Buffer.concat([body, integrityDigest(pw, body)]);
}

/**
 * Reads a JKS keystore, checking its integrity digest with `password` and decrypting every key with
 * `keyPassword` (by default the store password).
 * @throws KeystorePasswordError when either password is wrong (or the bytes were altered)
 * @throws KeystoreFormatError when the bytes are not a JKS keystore
 */
export function decodeJks(bytes: Buffer, password: string, keyPassword = password): JksEntry[] {
  if (bytes.length < 12 + DIGEST_LENGTH) throw new KeystoreFormatError('keystore is truncated');
  const body = bytes.subarray(0, bytes.length - DIGEST_LENGTH);
  const reader = new ByteReader(body);
  const magic = reader.u32();
  if (magic === JCEKS_MAGIC) throw new KeystoreFormatError('JCEKS keystores are not supported; use JKS');
  if (magic !== MAGIC) throw new KeystoreFormatError('not a JKS keystore');
  const version = reader.u32();
  if (version !== VERSION) throw new KeystoreFormatError(`unsupported JKS version ${version}`);
  const pw = utf16be(password);
  if (!timingSafeEqual(integrityDigest(pw, body), bytes.subarray(body.length))) {
    throw new KeystorePasswordError('wrong keystore password, or the keystore was altered');
  }
  const count = reader.u32();
  const entries: JksEntry[] = [];
  const keyPw = utf16be(keyPassword);
  for (let i = 0; i < count; i++) entries.push(readEntry(reader, keyPw));
  if (reader.position !== body.length) throw new KeystoreFormatError('unexpected bytes after the last entry');
  return entries;
}

export function jksAlias(alias: string): string {
  return alias.toLowerCase();
}

function readEntry(reader: ByteReader, keyPw: Buffer): JksEntry {
  const tag = reader.u32();
  const alias = reader.javaUtf();
  const created = new Date(reader.u64());
  if (tag === TAG_PRIVATE_KEY) {
    const privateKey = recoverKey(reader.block(), keyPw);
    const chain: X509Certificate[] = [];
    const length = reader.u32();
    for (let i = 0; i < length; i++) chain.push(readCertificate(reader));
    return { kind: 'privateKey', alias, created, privateKey, chain };
  }
  if (tag === TAG_TRUSTED_CERT) {
    return { kind: 'trustedCertificate', alias, created, certificate: readCertificate(reader) };
  }
  throw new KeystoreFormatError(`unknown JKS entry tag ${tag}`);
}

function readCertificate(reader: ByteReader): X509Certificate {
  const type = reader.javaUtf();
  if (type !== 'X.509') throw new KeystoreFormatError(`unsupported certificate type ${type}`);
  try {
    return new X509Certificate(reader.block());
  } catch (cause) {
    throw new KeystoreFormatError('a certificate in the keystore cannot be decoded', { cause });
  }
}

function integrityDigest(pw: Buffer, body: Buffer): Buffer {
  return createHash('sha1').update(pw).update(INTEGRITY_SALT).update(body).digest();
}

/** SHA-1 keystream of KeyProtector: digest_i = SHA-1(password ‖ digest_{i-1}), digest_0 = salt. */
function keystream(pw: Buffer, salt: Buffer, length: number): Buffer {
  const stream = Buffer.alloc(length);
  let digest = salt;
  for (let offset = 0; offset < length; offset += DIGEST_LENGTH) {
    digest = createHash('sha1').update(pw).update(digest).digest();
    digest.copy(stream, offset, 0, Math.min(DIGEST_LENGTH, length - offset));
  }
  return stream;
}

function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((byte, i) => byte ^ (b[i] ?? 0)));
}

function protectKey(pkcs8: Buffer, pw: Buffer): Buffer {
  const salt = randomBytes(DIGEST_LENGTH);
  const encrypted = xor(pkcs8, keystream(pw, salt, pkcs8.length));
  const check = createHash('sha1').update(pw).update(pkcs8).digest();
  const info = new EncryptedPrivateKeyInfo({
    encryptionAlgorithm: new AlgorithmIdentifier({ algorithm: SUN_KEY_PROTECTOR_OID, parameters: null }),
    encryptedData: new OctetString(Buffer.concat([salt, encrypted, check])),
  });
  return Buffer.from(AsnConvert.serialize(info));
}

function recoverKey(der: Buffer, pw: Buffer): KeyObject {
  let info: EncryptedPrivateKeyInfo;
  try {
    info = AsnConvert.parse(der, EncryptedPrivateKeyInfo);
  } catch (cause) {
    throw new KeystoreFormatError('a protected key in the keystore cannot be decoded', { cause });
  }
  if (info.encryptionAlgorithm.algorithm !== SUN_KEY_PROTECTOR_OID) {
    throw new KeystoreFormatError(`unsupported key protection ${info.encryptionAlgorithm.algorithm}`);
  }
  const data = Buffer.from(info.encryptedData.buffer);
  if (data.length <= 2 * DIGEST_LENGTH) throw new KeystoreFormatError('protected key is truncated');
  const salt = data.subarray(0, DIGEST_LENGTH);
  const encrypted = data.subarray(DIGEST_LENGTH, data.length - DIGEST_LENGTH);
  const plain = xor(encrypted, keystream(pw, salt, encrypted.length));
  const check = createHash('sha1').update(pw).update(plain).digest();
  if (!timingSafeEqual(check, data.subarray(data.length - DIGEST_LENGTH))) {
    throw new KeystorePasswordError('wrong key password');
  }
  try {
    return createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new KeystoreFormatError('the private key in the keystore cannot be decoded', { cause });
  }
}
