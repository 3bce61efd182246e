/**
 * Decrypting the password-encrypted parts of a PKCS#12 file: PBES2 (PBKDF2 with an HMAC, then AES or
 * 3DES in CBC mode) only, as OpenSSL 3 and Java 17 write them; the legacy PKCS#12 PBE schemes are
 * refused with a hint to re-export.
 */
import { createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { EncryptedContentInfo } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { KeystoreFormatError, KeystorePasswordError } from '../errors.ts';
import { octets, sequenceItems } from './der.ts';

const ID_PBES2 = '1.2.840.113549.1.5.13';
const ID_PBKDF2 = '1.2.840.113549.1.5.12';

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

/** CMS EncryptedData ::= SEQUENCE { version, EncryptedContentInfo, ... }, PBES2 only. */
export function decryptEncryptedData(encryptedData: ArrayBuffer, password: string): Buffer {
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
