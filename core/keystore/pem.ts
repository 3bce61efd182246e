import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { InvalidPemError } from '../errors.ts';

export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]*?)-----END \1-----/g;
const PRIVATE_KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

/** Splits a PEM text into its blocks; text between blocks (OpenSSL's "subject=" lines) is ignored. */
export function parsePemBlocks(text: string, source: string): PemBlock[] {
  const blocks = [...text.matchAll(BLOCK)].map((m) => ({
    label: m[1] ?? '',
    der: Buffer.from((m[2] ?? '').replace(/\s+/g, ''), 'base64'),
  }));
  if (blocks.length === 0) throw new InvalidPemError(source, 'no PEM block found');
  return blocks;
}

export function toPem(label: string, der: Uint8Array): string {
  const body = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

/** Every CERTIFICATE block of the text, in order. */
export function readCertificates(text: string, source: string): X509Certificate[] {
  const blocks = parsePemBlocks(text, source).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length === 0) throw new InvalidPemError(source, 'no CERTIFICATE block found');
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b.der);
    } catch (cause) {
      throw new InvalidPemError(source, `certificate ${i + 1} is not a valid X.509 certificate`, { cause });
    }
  });
}

/** The one unencrypted private key of the text (PKCS#8, PKCS#1 RSA or SEC1 EC). */
export function readPrivateKey(text: string, source: string): KeyObject {
  const blocks = parsePemBlocks(text, source);
  if (blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY')) {
    throw new InvalidPemError(source, 'the private key is encrypted; decrypt it first');
  }
  const keys = blocks.filter((b) => PRIVATE_KEY_LABELS.has(b.label));
  const [key] = keys;
  if (!key) throw new InvalidPemError(source, 'no PRIVATE KEY block found');
  if (keys.length > 1) throw new InvalidPemError(source, `${keys.length} private keys found; expected one`);
  try {
    return createPrivateKey({ key: toPem(key.label, key.der), format: 'pem' });
  } catch (cause) {
    throw new InvalidPemError(source, 'the private key cannot be decoded', { cause });
  }
}

/** Whether the text holds a private key block at all (combined PEM files do). */
export function hasPrivateKey(text: string): boolean {
  return [...text.matchAll(BLOCK)].some((m) => PRIVATE_KEY_LABELS.has(m[1] ?? ''));
}
