/**
 * PKCS#12 (RFC 7292) reading and writing for RSA and EC keys. node-forge writes PKCS#12 but only with
 * RSA keys, and PKI.js would pull WebCrypto's async API into a pure module; so the structures come from
 * the @peculiar/asn1-* schemas and the cryptography from node:crypto (OpenSSL). What is ours:
 * the RFC 7292 appendix B key derivation for the MAC, which Node does not expose.
 *
 * Written like OpenSSL 3 and Java 17 do by default: the key in a PBES2 (PBKDF2-HMAC-SHA256,
 * AES-256-CBC) shrouded bag, an HMAC-SHA256 MAC; the certificates unencrypted (they are public, and
 * `openssl pkcs12 -certpbe NONE` / Java's `certProtectionAlgorithm=NONE` write the same).
 */
import {
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  type KeyObject,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
  X509Certificate,
} from 'node:crypto';
import { ContentInfo, EncryptedContentInfo } from '@peculiar/asn1-cms';
import {
  AuthenticatedSafe,
  CertBag,
  id_certBag,
  id_keyBag,
  id_pkcs8ShroudedKeyBag,
  id_x509Certificate,
  MacData,
  PFX,
  PKCS12Attribute,
  SafeBag,
  SafeContents,
} from '@peculiar/asn1-pfx';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { KeystoreFormatError, KeystorePasswordError } from '../errors.ts';
import { utf16be } from './bytes.ts';
import { isIssuedBy, keyMatchesCertificate } from './certificate.ts';
import type { KeyMaterial } from './material.ts';

const ID_DATA = '1.2.840.113549.1.7.1';
const ID_ENCRYPTED_DATA = '1.2.840.113549.1.7.6';
const ID_FRIENDLY_NAME = '1.2.840.113549.1.9.20';
const ID_LOCAL_KEY_ID = '1.2.840.113549.1.9.21';
const ID_PBES2 = '1.2.840.113549.1.5.13';
const ID_PBKDF2 = '1.2.840.113549.1.5.12';
/** OpenSSL's default (PKCS12_DEFAULT_ITER); the MAC guards integrity, the key has its own PBKDF2. */
const MAC_ITERATIONS = 2048;

const HASHES: Record<string, { name: string; length: number; block: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', length: 20, block: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', length: 28, block: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', length: 32, block: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', length: 48, block: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', length: 64, block: 128 },
};
const SHA256_OID = '2.16.840.1.101.3.4.2.1';
const HMAC_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const CIPHERS: Record<string, string> = {
  '2.16.840.1.101.3.4.1.2': 'aes-128-cbc',
  '2.16.840.1.101.3.4.1.22': 'aes-192-cbc',
  '2.16.840.1.101.3.4.1.42': 'aes-256-cbc',
  '1.2.840.113549.3.7': 'des-ede3-cbc',
};

export interface Pkcs12Contents {
  /** friendlyName of the key entry, if the file names it. */
  readonly alias: string | null;
  readonly material: KeyMaterial;
}

/** Writes one key entry named `alias`, with its chain. */
export function encodePkcs12(material: KeyMaterial, alias: string, password: string): Buffer {
  const [leaf] = material.chain;
  const localKeyId = createHash('sha1').update(leaf.raw).digest();
  const leafAttributes = [
    attribute(ID_FRIENDLY_NAME, der(0x1e, utf16be(alias))),
    attribute(ID_LOCAL_KEY_ID, der(0x04, localKeyId)),
  ];
  const keyBag = new SafeBag({
    bagId: id_pkcs8ShroudedKeyBag,
    bagValue: toArrayBuffer(
      material.privateKey.export({
        format: 'der',
        type: 'pkcs8',
        cipher: 'aes-256-cbc',
        passphrase: password,
      }),
    ),
    bagAttributes: leafAttributes,
  });
  const certBags = material.chain.map(
    (cert, i) =>
      new SafeBag({
        bagId: id_certBag,
        bagValue: AsnConvert.serialize(
          new CertBag({ certId: id_x509Certificate, certValue: toArrayBuffer(der(0x04, cert.raw)) }),
        ),
        ...(i === 0 ? { bagAttributes: leafAttributes } : {}),
      }),
  );
  const authSafe = Buffer.from(
    AsnConvert.serialize(new AuthenticatedSafe([dataContent(certBags), dataContent([keyBag])])),
  );
  const salt = randomBytes(16);
  const mac = macOf(authSafe, password, salt, MAC_ITERATIONS, 'sha256');
  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: ID_DATA, content: toArrayBuffer(der(0x04, authSafe)) }),
    macData: new MacData({
      mac: new DigestInfo({
        digestAlgorithm: new AlgorithmIdentifier({ algorithm: SHA256_OID, parameters: null }),
        digest: new OctetString(mac),
      }),
      macSalt: new OctetString(salt),
      iterations: MAC_ITERATIONS,
    }),
  });
  return Buffer.from(AsnConvert.serialize(pfx));
}

/**
 * Reads a PKCS#12 file written by us, OpenSSL 3 or Java: checks the MAC, decrypts PBES2-protected
 * contents and keys, and returns the key with its chain (leaf first).
 * @throws KeystorePasswordError when the MAC does not verify
 * @throws KeystoreFormatError for bytes that are not PKCS#12, legacy encryption, or no key entry
 */
export function decodePkcs12(bytes: Buffer, password: string): Pkcs12Contents {
  let pfx: PFX;
  let authSafe: AuthenticatedSafe;
  let authSafeBytes: Buffer;
  try {
    pfx = AsnConvert.parse(bytes, PFX);
    if (pfx.authSafe.contentType !== ID_DATA) throw new Error('public-key integrity mode');
    authSafeBytes = octets(pfx.authSafe.content);
    authSafe = AsnConvert.parse(authSafeBytes, AuthenticatedSafe);
  } catch (cause) {
    throw new KeystoreFormatError('not a PKCS#12 keystore', { cause });
  }
  verifyMac(pfx, authSafeBytes, password);

  const keys: { key: KeyObject; alias: string | null; localKeyId: string | null }[] = [];
  const certs: { cert: X509Certificate; localKeyId: string | null }[] = [];
  for (const content of authSafe) {
    for (const bag of safeContentsOf(content, password)) {
      const attrs = readAttributes(bag);
      if (bag.bagId === id_pkcs8ShroudedKeyBag || bag.bagId === id_keyBag) {
        keys.push({ key: readKey(bag, password), ...attrs });
      } else if (bag.bagId === id_certBag) {
        const certBag = AsnConvert.parse(bag.bagValue, CertBag);
        if (certBag.certId !== id_x509Certificate) continue;
        certs.push({ cert: new X509Certificate(octets(certBag.certValue)), localKeyId: attrs.localKeyId });
      }
    }
  }
  const [entry] = keys;
  if (!entry) throw new KeystoreFormatError('the PKCS#12 file holds no private key');
  const leaf =
    certs.find((c) => entry.localKeyId !== null && c.localKeyId === entry.localKeyId)?.cert ??
    certs.find((c) => keyMatchesCertificate(entry.key, c.cert))?.cert;
  if (!leaf) throw new KeystoreFormatError('the PKCS#12 file holds no certificate for its key');
  return {
    alias: entry.alias,
    material: {
      privateKey: entry.key,
      chain: orderChain(
        leaf,
        certs.map((c) => c.cert),
      ),
    },
  };
}

/** Follows issuer links from the leaf through the other certificates of the file. */
function orderChain(leaf: X509Certificate, pool: X509Certificate[]): [X509Certificate, ...X509Certificate[]] {
  const chain: [X509Certificate, ...X509Certificate[]] = [leaf];
  let current = leaf;
  for (;;) {
    const next = pool.find(
      (c) => !chain.includes(c) && c.raw.compare(current.raw) !== 0 && isIssuedBy(current, c),
    );
    if (!next) return chain;
    chain.push(next);
    current = next;
  }
}

function verifyMac(pfx: PFX, authSafe: Buffer, password: string): void {
  if (!pfx.macData) throw new KeystoreFormatError('the PKCS#12 file has no password MAC');
  const hash = HASHES[pfx.macData.mac.digestAlgorithm.algorithm];
  if (!hash) {
    throw new KeystoreFormatError(`unsupported PKCS#12 MAC ${pfx.macData.mac.digestAlgorithm.algorithm}`);
  }
  const expected = Buffer.from(pfx.macData.mac.digest.buffer);
  const salt = Buffer.from(pfx.macData.macSalt.buffer);
  const actual = macOf(authSafe, password, salt, pfx.macData.iterations || 1, hash.name);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new KeystorePasswordError('wrong keystore password, or the keystore was altered');
  }
}

function macOf(data: Buffer, password: string, salt: Buffer, iterations: number, hashName: string): Buffer {
  const hash = Object.values(HASHES).find((h) => h.name === hashName);
  if (!hash) throw new KeystoreFormatError(`unsupported hash ${hashName}`);
  const key = pkcs12Kdf(hash, password, salt, 3, iterations, hash.length);
  return createHmac(hash.name, key).update(data).digest();
}

/**
 * RFC 7292 appendix B.2: the PKCS#12 key derivation. `id` 3 derives MAC keys. The password is a
 * BMPString with its two-byte terminator.
 */
function pkcs12Kdf(
  hash: { name: string; length: number; block: number },
  password: string,
  salt: Buffer,
  id: number,
  iterations: number,
  length: number,
): Buffer {
  const v = hash.block;
  const fill = (input: Buffer) => {
    if (input.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(input.length / v));
    for (let i = 0; i < out.length; i++) out[i] = input[i % input.length] ?? 0;
    return out;
  };
  const pw = password.length === 0 ? Buffer.alloc(0) : Buffer.concat([utf16be(password), Buffer.alloc(2)]);
  const d = Buffer.alloc(v, id);
  const i = Buffer.concat([fill(salt), fill(pw)]);
  const out: Buffer[] = [];
  for (let produced = 0; produced < length; produced += hash.length) {
    let a = createHash(hash.name).update(d).update(i).digest();
    for (let r = 1; r < iterations; r++) a = createHash(hash.name).update(a).digest();
    out.push(a);
    const b = fill(a);
    for (let j = 0; j < i.length; j += v) {
      // I_j = (I_j + B + 1) mod 2^(8v), big-endian.
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (i[j + k] ?? 0) + (b[k] ?? 0) + carry;
        i[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, length);
}

function dataContent(bags: SafeBag[]): ContentInfo {
  const safeContents = Buffer.from(AsnConvert.serialize(new SafeContents(bags)));
  return new ContentInfo({ contentType: ID_DATA, content: toArrayBuffer(der(0x04, safeContents)) });
}

function safeContentsOf(content: ContentInfo, password: string): SafeContents {
  if (content.contentType === ID_DATA) return AsnConvert.parse(octets(content.content), SafeContents);
  if (content.contentType === ID_ENCRYPTED_DATA) {
    return AsnConvert.parse(decryptEncryptedData(content.content, password), SafeContents);
  }
  throw new KeystoreFormatError(`unsupported PKCS#12 content type ${content.contentType}`);
}

/** CMS EncryptedData ::= SEQUENCE { version, EncryptedContentInfo, ... }, PBES2 only. */
function decryptEncryptedData(encryptedData: ArrayBuffer, password: string): Buffer {
  const eciNode = sequenceItems(encryptedData)[1];
  if (!eciNode) throw new KeystoreFormatError('malformed PKCS#12 encrypted content');
  const eci = AsnConvert.parse(eciNode.toBER(), EncryptedContentInfo);
  const value = eci.encryptedContent?.value ?? eci.encryptedContent?.constructedValue;
  const ciphertext = Array.isArray(value)
    ? Buffer.concat(value.map((v) => Buffer.from(v.buffer)))
    : Buffer.from(value?.buffer ?? new ArrayBuffer(0));
  return pbes2Decrypt(eci.contentEncryptionAlgorithm, ciphertext, password);
}

function pbes2Decrypt(algorithm: AlgorithmIdentifier, ciphertext: Buffer, password: string): Buffer {
  if (algorithm.algorithm !== ID_PBES2 || !algorithm.parameters) {
    throw new KeystoreFormatError(
      `unsupported PKCS#12 encryption ${algorithm.algorithm}; re-export it with AES (PBES2), as OpenSSL 3 and Java 17 do`,
    );
  }
  // PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier }
  const [kdfNode, schemeNode] = sequenceItems(algorithm.parameters);
  if (!kdfNode || !schemeNode) throw new KeystoreFormatError('malformed PBES2 parameters');
  const kdf = AsnConvert.parse(kdfNode.toBER(), AlgorithmIdentifier);
  const scheme = AsnConvert.parse(schemeNode.toBER(), AlgorithmIdentifier);
  if (kdf.algorithm !== ID_PBKDF2 || !kdf.parameters)
    throw new KeystoreFormatError('unsupported PBES2 key derivation');
  // PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER, keyLength INTEGER OPTIONAL,
  //                              prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }
  const kdfItems = sequenceItems(kdf.parameters);
  const [saltNode, iterationsNode] = kdfItems;
  const prfNode = kdfItems.find((n) => n instanceof asn1js.Sequence);
  if (!(saltNode instanceof asn1js.OctetString) || !(iterationsNode instanceof asn1js.Integer)) {
    throw new KeystoreFormatError('malformed PBKDF2 parameters');
  }
  const cipher = CIPHERS[scheme.algorithm];
  const prf =
    HMAC_PRFS[
      prfNode ? AsnConvert.parse(prfNode.toBER(), AlgorithmIdentifier).algorithm : '1.2.840.113549.2.7'
    ];
  if (!cipher || !prf || !scheme.parameters) {
    throw new KeystoreFormatError('unsupported PBES2 cipher or pseudo-random function');
  }
  const iv = octets(scheme.parameters);
  const keyLength = cipher === 'des-ede3-cbc' ? 24 : Number(cipher.split('-')[1]) / 8;
  const salt = Buffer.from(saltNode.valueBlock.valueHexView);
  const key = pbkdf2Sync(
    Buffer.from(password, 'utf8'),
    salt,
    iterationsNode.valueBlock.valueDec,
    keyLength,
    prf,
  );
  try {
    const decipher = createDecipheriv(cipher, key, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (cause) {
    throw new KeystorePasswordError('wrong keystore password', { cause });
  }
}

function readKey(bag: SafeBag, password: string): KeyObject {
  try {
    return bag.bagId === id_keyBag
      ? createPrivateKey({ key: Buffer.from(bag.bagValue), format: 'der', type: 'pkcs8' })
      : createPrivateKey({
          key: Buffer.from(bag.bagValue),
          format: 'der',
          type: 'pkcs8',
          passphrase: password,
        });
  } catch (cause) {
    throw new KeystoreFormatError('the private key of the PKCS#12 file cannot be decrypted', { cause });
  }
}

function readAttributes(bag: SafeBag): { alias: string | null; localKeyId: string | null } {
  let alias: string | null = null;
  let localKeyId: string | null = null;
  for (const attr of bag.bagAttributes ?? []) {
    const [value] = attr.attrValues;
    if (!value) continue;
    const node = asn1js.fromBER(value).result;
    if (attr.attrId === ID_FRIENDLY_NAME && node instanceof asn1js.BmpString) alias = node.valueBlock.value;
    if (attr.attrId === ID_LOCAL_KEY_ID && node instanceof asn1js.OctetString) {
      localKeyId = Buffer.from(node.valueBlock.valueHexView).toString('hex');
    }
  }
  return { alias, localKeyId };
}

function attribute(id: string, value: Buffer): PKCS12Attribute {
  // @peculiar/asn1-pfx 2.11.1's constructor drops its params (`Object.assign(params)`): set the fields.
  return Object.assign(new PKCS12Attribute(), { attrId: id, attrValues: [toArrayBuffer(value)] });
}

/** The contents of a DER OCTET STRING (possibly constructed, as some BER writers emit). */
function octets(encoded: ArrayBuffer): Buffer {
  const node = asn1js.fromBER(encoded).result;
  if (!(node instanceof asn1js.OctetString)) throw new KeystoreFormatError('expected an OCTET STRING');
  if (node.idBlock.isConstructed) {
    return Buffer.concat(
      node.valueBlock.value.map((part) => Buffer.from((part as asn1js.OctetString).valueBlock.valueHexView)),
    );
  }
  return Buffer.from(node.valueBlock.valueHexView);
}

/** One DER element with a short or long definite length. */
function der(tag: number, content: Uint8Array): Buffer {
  const n = content.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : Buffer.concat([Buffer.from([0x80 | byteLength(n)]), bigEndian(n)]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

function byteLength(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n + 1) / 8));
}

function bigEndian(n: number): Buffer {
  const out = Buffer.alloc(byteLength(n));
  out.writeUIntBE(n, 0, out.length);
  return out;
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function sequenceItems(encoded: ArrayBuffer): asn1js.AsnType[] {
  const parsed = asn1js.fromBER(encoded);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) {
    throw new KeystoreFormatError('malformed PKCS#12 structure');
  }
  return parsed.result.valueBlock.value;
}
