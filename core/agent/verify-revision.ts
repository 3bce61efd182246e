import { createHash, type KeyObject, type X509Certificate } from 'node:crypto';
import { AcmeHaError } from '../errors.ts';
import { summarizeCertificate } from '../keystore/certificate.ts';
import { encodePemBundle, openKeystore } from '../keystore/keystore.ts';
import { checkMaterial } from '../keystore/material.ts';
import { PEM_FILES } from '../keystore/pem-files.ts';
import type { Revision, RevisionObject } from '../renewal/types.ts';
import { RevisionVerificationError } from './agent-errors.ts';
import { keysToDownload, objectsFor, type TargetSelection } from './revision-objects.ts';

export { keysToDownload, objectsFor, type TargetSelection };

/**
 * Checks downloaded bytes before anything is written: size and SHA-256 against the revision record,
 * the keystore opens with the target's password (and key password), the key matches the leaf, the chain is in order,
 * the leaf is the revision's (serial), it covers the revision's and the target's names, and it is
 * inside its validity window at `now`. A PEM target's files must all be cut from that one key and
 * chain (a `cert.pem` or `combined.pem` of another certificate is refused, not installed).
 * @throws RevisionVerificationError naming the first failed check
 */
export function verifyRevision(
  revision: Revision,
  selection: TargetSelection,
  bytes: ReadonlyMap<string, Buffer>,
  now: Date,
): void {
  const objects = objectsFor(revision, selection);
  const needed = new Set(keysToDownload(revision, selection));
  for (const object of revision.objects.filter((o) => needed.has(o.key))) {
    const data = bytes.get(object.key);
    if (!data) throw new RevisionVerificationError('OBJECT_MISSING', `${object.key} was not downloaded`);
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (data.length !== object.size || sha256 !== object.sha256)
      throw new RevisionVerificationError(
        'CHECKSUM_MISMATCH',
        `${object.name}: SHA-256 ${sha256.slice(0, 16)}… (${data.length} bytes) is not the revision's ${object.sha256.slice(0, 16)}… (${object.size} bytes)`,
      );
  }
  const opened = open(revision, selection, objects, bytes);
  const leaf = opened.chain[0];
  if (!opened.privateKey)
    throw new RevisionVerificationError('KEYSTORE_UNREADABLE', 'the keystore holds no private key');
  try {
    checkMaterial({ privateKey: opened.privateKey, chain: opened.chain }, { now });
  } catch (error) {
    const code = error instanceof AcmeHaError ? error.code : '';
    const reason =
      code === 'KEY_MISMATCH'
        ? 'KEY_MISMATCH'
        : code === 'CHAIN_OUT_OF_ORDER'
          ? 'CHAIN_OUT_OF_ORDER'
          : code === 'CERTIFICATE_NOT_VALID_NOW'
            ? 'CERTIFICATE_NOT_VALID_NOW'
            : 'KEYSTORE_UNREADABLE';
    throw new RevisionVerificationError(reason, (error as Error).message, { cause: error });
  }
  if (selection.format === 'pem') samePemBundle(objects, bytes, opened.privateKey, opened.chain);
  const summary = summarizeCertificate(leaf);
  if (summary.serial !== revision.serial)
    throw new RevisionVerificationError(
      'SERIAL_MISMATCH',
      `the keystore's certificate has serial ${summary.serial}, the revision says ${revision.serial}`,
    );
  const missing = [...new Set([...revision.sans, ...selection.names])].filter(
    (name) => !summary.sans.some((san) => covers(san, name)),
  );
  if (missing.length > 0)
    throw new RevisionVerificationError(
      'NAMES_NOT_COVERED',
      `the certificate (${summary.sans.join(', ') || 'no names'}) does not cover ${missing.join(', ')}`,
    );
}

/** Every installed PEM file is byte-equal to what the key and chain give (as the renewer wrote them). */
function samePemBundle(
  objects: readonly RevisionObject[],
  bytes: ReadonlyMap<string, Buffer>,
  privateKey: KeyObject,
  chain: Opened['chain'],
): void {
  const expected = encodePemBundle({ privateKey, chain });
  for (const object of objects) {
    const want = expected.get(object.name);
    const got = bytes.get(object.key);
    if (want && got && !want.equals(got))
      throw new RevisionVerificationError(
        'PEM_FILES_DISAGREE',
        `${object.name} is not cut from the revision's key and chain (fullchain.pem + privkey.pem)`,
      );
  }
}

interface Opened {
  readonly chain: readonly [X509Certificate, ...X509Certificate[]];
  readonly privateKey: KeyObject | null;
}

function open(
  revision: Revision,
  selection: TargetSelection,
  objects: readonly RevisionObject[],
  bytes: ReadonlyMap<string, Buffer>,
): Opened {
  try {
    if (selection.format !== 'pem') {
      const [object] = objects;
      const data = object ? bytes.get(object.key) : undefined;
      if (!object || !data) throw new Error('no keystore object');
      const opened = openKeystore(data, selection.password, object.name, selection.keyPassword);
      // Java looks aliases up in any case (JKS stores them lower-cased, PKCS#12 as given).
      if (selection.alias && opened.alias?.toLowerCase() !== selection.alias.toLowerCase())
        throw new Error(`the key entry is ${opened.alias}, not ${selection.alias}`);
      return opened;
    }
    // A PEM target is judged on the whole bundle of the revision, whichever files it installs: the
    // leaf and chain from fullchain.pem and the key from privkey.pem (or combined.pem alone).
    const text = (name: string) => {
      const object = revision.objects.find((o) => o.format === 'pem' && o.name === name);
      return object ? bytes.get(object.key)?.toString('utf8') : undefined;
    };
    const bundle =
      text(PEM_FILES.fullchain) !== undefined && text(PEM_FILES.privkey) !== undefined
        ? `${text(PEM_FILES.fullchain)}${text(PEM_FILES.privkey)}`
        : text(PEM_FILES.combined);
    if (bundle === undefined) throw new Error('neither fullchain.pem + privkey.pem nor combined.pem');
    return openKeystore(Buffer.from(bundle), undefined, `revision ${revision.revision} PEM files`);
  } catch (error) {
    const reason =
      error instanceof AcmeHaError && error.code === 'KEYSTORE_PASSWORD'
        ? 'KEYSTORE_PASSWORD'
        : 'KEYSTORE_UNREADABLE';
    throw new RevisionVerificationError(reason, (error as Error).message, { cause: error });
  }
}

/** Whether a certificate name covers a host name: equal, or a wildcard for exactly one more label. */
export function covers(san: string, name: string): boolean {
  const a = san.toLowerCase();
  const b = name.toLowerCase();
  if (a === b) return true;
  if (!a.startsWith('*.') || b.startsWith('*.')) return false;
  const dot = b.indexOf('.');
  return dot > 0 && b.slice(dot + 1) === a.slice(2);
}
