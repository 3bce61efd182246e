/**
 * The body of a push from an internal agent to a DMZ receiver: the revision record, the bytes of its
 * objects, and the SHA-256 of the canonical payload. The payload hash catches a body damaged or
 * edited on the way (or by a proxy); the revision record's own per-object SHA-256 is what the
 * receiver verifies the bytes against, exactly as an agent verifies an S3 download.
 */
import { createHash } from 'node:crypto';
import * as z from '../config/zod.ts';
import type { Revision } from '../renewal/types.ts';

export const PUSH_VERSION = 1;

/** One object of the revision, base64 encoded. */
export interface PushedObject {
  readonly key: string;
  readonly data: string;
}

export interface RevisionPush {
  readonly version: typeof PUSH_VERSION;
  readonly revision: Revision;
  readonly objects: readonly PushedObject[];
  /** SHA-256 (hex) of `canonicalJson({ revision, objects })`. */
  readonly sha256: string;
}

/** Builds the push of `revision` from the bytes of its objects (every object of the record). */
export function buildRevisionPush(revision: Revision, bytes: ReadonlyMap<string, Buffer>): RevisionPush {
  const objects = revision.objects.flatMap((o) => {
    const data = bytes.get(o.key);
    return data ? [{ key: o.key, data: data.toString('base64') }] : [];
  });
  return { version: PUSH_VERSION, revision, objects, sha256: payloadSha256(revision, objects) };
}

export function payloadSha256(revision: Revision, objects: readonly PushedObject[]): string {
  return createHash('sha256').update(canonicalJson({ revision, objects })).digest('hex');
}

/** JSON with object keys sorted at every level, so both sides hash the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const isoDate = text(1, 40);

const revisionSchema = z.strictObject({
  certificateId: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/)),
  revision: z.int().check(z.minimum(1), z.maximum(9_999_999_999)),
  serial: z.string().check(z.regex(/^[0-9a-f]{1,64}$/)),
  sans: z.array(text(1, 253)).check(z.minLength(1), z.maxLength(100)),
  notBefore: isoDate,
  notAfter: isoDate,
  issuer: text(0, 2000),
  directory: text(0, 2000),
  ariCertId: z.nullable(text(0, 500)),
  configHash: text(0, 200),
  objects: z
    .array(
      z.strictObject({
        name: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/, 'not a plain file name')),
        format: z.enum(['jks', 'pkcs12', 'pem']),
        key: text(1, 1024),
        sha256: hex64,
        size: z.int().check(z.minimum(0)),
      }),
    )
    .check(z.minLength(1), z.maxLength(20)),
  createdAt: isoDate,
});

/** Validates a push body at the edge (the receiver parses JSON, then this). */
export const revisionPushSchema = z.strictObject({
  version: z.literal(PUSH_VERSION),
  revision: revisionSchema,
  objects: z
    .array(z.strictObject({ key: text(1, 1024), data: z.base64() }))
    .check(z.minLength(1), z.maxLength(20)),
  sha256: hex64,
});

/** The objects' bytes by key; the revision record says what each must hash to. */
export function pushedBytes(push: RevisionPush): Map<string, Buffer> {
  return new Map(push.objects.map((o) => [o.key, Buffer.from(o.data, 'base64')]));
}
