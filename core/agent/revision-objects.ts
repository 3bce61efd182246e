import { PEM_FILES } from '../keystore/pem-files.ts';
import type { Revision, RevisionObject } from '../renewal/types.ts';
import { RevisionVerificationError } from './agent-errors.ts';

/*
 * Which objects of a revision a target installs: no keystore decoding here, so that an agent that
 * has nothing to install does not load the JKS and PKCS#12 decoders (verify-revision.ts does).
 */

/** What one target installs of a revision, and how to open it. */
export interface TargetSelection {
  readonly format: 'jks' | 'pkcs12' | 'pem';
  /** PEM file names to install; ignored for jks/pkcs12 (one file). */
  readonly pemFiles: readonly string[];
  readonly password: string | undefined;
  /** The key entry's own password, when it has one. @default the store password */
  readonly keyPassword?: string | undefined;
  readonly alias: string | undefined;
  /** Names the certificate must cover besides the revision's own. */
  readonly names: readonly string[];
}

/** The objects of a revision a target needs, in install order. */
export function objectsFor(revision: Revision, selection: TargetSelection): RevisionObject[] {
  const ofFormat = revision.objects.filter((o) => o.format === selection.format);
  if (selection.format !== 'pem') {
    const first = ofFormat[0];
    if (!first)
      throw new RevisionVerificationError(
        'OBJECT_MISSING',
        `revision ${revision.revision} has no ${selection.format} keystore`,
      );
    return [first];
  }
  return selection.pemFiles.map((name) => {
    const object = ofFormat.find((o) => o.name === name);
    if (!object)
      throw new RevisionVerificationError('OBJECT_MISSING', `revision ${revision.revision} has no ${name}`);
    return object;
  });
}

/**
 * The object keys a selection needs downloaded: its own objects, and for a PEM target whose files
 * do not hold the key and chain themselves, what does: combined.pem (one object), or fullchain.pem +
 * privkey.pem for a revision without it. The PEM bundle check cuts every installed file from them.
 */
export function keysToDownload(revision: Revision, selection: TargetSelection): string[] {
  const own = objectsFor(revision, selection);
  if (selection.format !== 'pem') return own.map((o) => o.key);
  const pem = (name: string) => revision.objects.find((o) => o.format === 'pem' && o.name === name);
  const has = (name: string) => own.some((o) => o.name === name);
  const bundle =
    has(PEM_FILES.combined) || (has(PEM_FILES.fullchain) && has(PEM_FILES.privkey))
      ? []
      : [pem(PEM_FILES.combined) ?? [pem(PEM_FILES.fullchain), pem(PEM_FILES.privkey)]].flat();
  return [...new Set([...own, ...bundle].filter((o) => o !== undefined).map((o) => o.key))];
}
