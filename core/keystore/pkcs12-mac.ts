/**
 * The password MAC of a PKCS#12 file (RFC 7292 §4 and appendix B): an HMAC over the authenticated
 * safe, keyed by the PKCS#12 key derivation, which Node does not expose and is written here.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MacData, type PFX } from '@peculiar/asn1-pfx';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { KeystoreFormatError, KeystorePasswordError } from '../errors.ts';
import { utf16be } from './bytes.ts';

/** OpenSSL's default (PKCS12_DEFAULT_ITER); the MAC guards integrity, the key has its own PBKDF2. */
const MAC_ITERATIONS = 2048;

interface MacHash {
  readonly name: string;
  readonly length: number;
  readonly block: number;
}

const HASHES: Record<string, MacHash> = {
  '1.3.14.3.2.26': { name: 'sha1', length: 20, block: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', length: 28, block: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', length: 32, block: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', length: 48, block: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', length: 64, block: 128 },
};
const SHA256_OID = '2.16.840.1.101.3.4.2.1';

/** An HMAC-SHA256 MAC over `authSafe` with a fresh salt, as OpenSSL 3 and Java 17 write it. */
export function createMacData(authSafe: Buffer, password: string): MacData {
  const salt = randomBytes(16);
  const mac = macOf(authSafe, password, salt, MAC_ITERATIONS, 'sha256');
  return new MacData({
    mac: new DigestInfo({
      digestAlgorithm: new AlgorithmIdentifier({ algorithm: SHA256_OID, parameters: null }),
      digest: new OctetString(mac),
    }),
    macSalt: new OctetString(salt),
    iterations: MAC_ITERATIONS,
  });
}

/**
 * @throws KeystoreFormatError when the file has no MAC or one with an unknown hash
 * @throws KeystorePasswordError when the MAC does not verify
 */
export function verifyMac(pfx: PFX, authSafe: Buffer, password: string): void {
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
  const key = pkcs12Kdf(hash, password, { salt, id: 3, iterations, length: hash.length });
  return createHmac(hash.name, key).update(data).digest();
}

/** The inputs of one PKCS#12 key derivation besides the hash and the password. */
interface Derivation {
  readonly salt: Buffer;
  /** What the key is for: 1 encryption key, 2 IV, 3 MAC key. */
  readonly id: number;
  readonly iterations: number;
  /** Bytes of key wanted. */
  readonly length: number;
}

/**
 * RFC 7292 appendix B.2: the PKCS#12 key derivation. `id` 3 derives MAC keys. The password is a
 * BMPString with its two-byte terminator.
 */
function pkcs12Kdf(hash: MacHash, password: string, derivation: Derivation): Buffer {
  const { salt, id, iterations, length } = derivation;
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
