/**
 * PKCS#12 (RFC 7292) reading and writing for RSA and EC keys. node-forge writes PKCS#12 but only with
 * RSA keys, and PKI.js would pull WebCrypto's async API into a pure module; so the structures come from
 * the @peculiar/asn1-* schemas and the cryptography from node:crypto (OpenSSL). What is ours:
 * the RFC 7292 appendix B key derivation for the MAC, which Node does not expose (pkcs12-mac.ts).
 *
 * Written like OpenSSL 3 and Java 17 do by default: the key in a PBES2 (PBKDF2-HMAC-SHA256,
 * AES-256-CBC) shrouded bag, an HMAC-SHA256 MAC; the certificates unencrypted (they are public, and
 * `openssl pkcs12 -certpbe NONE` / Java's `certProtectionAlgorithm=NONE` write the same). Read back:
 * PBES2-encrypted contents (pkcs12-pbes2.ts).
 */
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { ContentInfo } from '@peculiar/asn1-cms';
import {
  AuthenticatedSafe,
  CertBag,
  id_certBag,
  id_keyBag,
  id_pkcs8ShroudedKeyBag,
  id_x509Certificate,
  PFX,
  PKCS12Attribute,
  SafeBag,
  SafeContents,
} from '@peculiar/asn1-pfx';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { KeystoreFormatError, KeystorePasswordError } from '../errors.ts';
import { utf16be } from './bytes.ts';
import { isIssuedBy, keyMatchesCertificate } from './certificate.ts';
import { der, octets, toArrayBuffer } from './der.ts';
import type { KeyMaterial } from './material.ts';
import { createMacData, verifyMac } from './pkcs12-mac.ts';
import { decryptEncryptedData } from './pkcs12-pbes2.ts';

const ID_DATA = '1.2.840.113549.1.7.1';
const ID_ENCRYPTED_DATA = '1.2.840.113549.1.7.6';
const ID_FRIENDLY_NAME = '1.2.840.113549.1.9.20';
const ID_LOCAL_KEY_ID = '1.2.840.113549.1.9.21';

export interface Pkcs12Contents {
  /** friendlyName of the key entry, if the file names it. */
  readonly alias: string | null;
  readonly material: KeyMaterial;
}

/**
 * Writes one key entry named `alias`, with its chain: the MAC keyed by `password`, the shrouded key
 * bag encrypted with `keyPassword` (by default the store password, as OpenSSL and keytool write it).
 */
export function encodePkcs12(
  material: KeyMaterial,
  alias: string,
  password: string,
  keyPassword = password,
): Buffer {
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
        passphrase: keyPassword,
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
  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: ID_DATA, content: toArrayBuffer(der(0x04, authSafe)) }),
    macData: createMacData(authSafe, password),
  });
  return Buffer.from(AsnConvert.serialize(pfx));
}

/**
 * Reads a PKCS#12 file written by us, OpenSSL 3 or Java: checks the MAC and decrypts PBES2-protected
 * contents with `password`, the keys with `keyPassword` (by default the store password), and returns
 * the key with its chain (leaf first).
 * @throws KeystorePasswordError when the MAC does not verify, or the key password is wrong
 * @throws KeystoreFormatError for bytes that are not PKCS#12, legacy encryption, or no key entry
 */
export function decodePkcs12(bytes: Buffer, password: string, keyPassword = password): Pkcs12Contents {
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
        keys.push({ key: readKey(bag, keyPassword), ...attrs });
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

function readKey(bag: SafeBag, keyPassword: string): KeyObject {
  try {
    return bag.bagId === id_keyBag
      ? createPrivateKey({ key: Buffer.from(bag.bagValue), format: 'der', type: 'pkcs8' })
      : createPrivateKey({
          key: Buffer.from(bag.bagValue),
          format: 'der',
          type: 'pkcs8',
          passphrase: keyPassword,
        });
  } catch (cause) {
    // The MAC verified, so the bag is as written: an encrypted key that does not come out is the key
    // password's, whether the padding check failed (ERR_OSSL_BAD_DECRYPT) or, about once in a
    // hundred wrong passwords, the padding happened to look right and the plaintext is not a key.
    if (bag.bagId !== id_keyBag) throw new KeystorePasswordError('wrong key password', { cause });
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
