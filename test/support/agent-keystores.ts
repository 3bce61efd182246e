/**
 * Keystore bytes for the agent's tests, built by core/keystore from a throw-away test PKI, and
 * helpers that write them where a server expects them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildKeystore } from '../../core/keystore/keystore.ts';
import { aPki, type PkiOptions, type TestPki } from './pki.ts';

export async function aServerPki(options: PkiOptions = {}): Promise<TestPki> {
  return aPki({ sans: ['app.acme-ha.test', 'localhost'], ...options });
}

export function jksOf(pki: TestPki, password: string, alias = 'server'): Buffer {
  const out = buildKeystore(
    { privateKey: pki.leafKey, chain: pki.chain },
    { format: 'jks', alias, password, created: new Date() },
  );
  if (out.kind !== 'file') throw new Error('expected one file');
  return out.bytes;
}

export function pemFilesOf(pki: TestPki): ReadonlyMap<string, Buffer> {
  const out = buildKeystore(
    { privateKey: pki.leafKey, chain: pki.chain },
    { format: 'pem', alias: 'x', created: new Date() },
  );
  if (out.kind !== 'directory') throw new Error('expected a directory');
  return out.files;
}

/** Writes the PEM bundle (fullchain, chain, cert, privkey, combined) into `dir`. */
export async function writePemFiles(dir: string, pki: TestPki): Promise<void> {
  for (const [name, bytes] of pemFilesOf(pki)) await writeFile(join(dir, name), bytes, { mode: 0o600 });
}

/** The serial as summarizeCertificate and the probe print it. */
export function serialOf(pki: TestPki): string {
  return pki.leaf.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '');
}
