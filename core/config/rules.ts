/**
 * The basic rules every configuration file shares (the certificate configuration, the agent's, the
 * DMZ receiver's), each written once so the three files accept and refuse the same values with the
 * same message. A schema composes these; a rule that only one file has stays in that file.
 */
import { posix } from 'node:path';
import { NODE_ID } from '../resource-layout.ts';
import * as z from './zod.ts';

// ---------------------------------------------------------------------------------------------
// Names

/** Ids become S3 keys, DynamoDB keys and file names: keep them to a safe alphabet. */
export const id = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9][a-z0-9-]{0,62}$/,
      'must be 1–63 characters of a-z, 0-9 and -, starting with a letter or digit',
    ),
  );

/** Node ids become part of queue names (SQS: at most 80 characters), so they are shorter than ids. */
export const nodeId = z
  .string()
  .check(
    z.regex(NODE_ID, 'must be 1–40 characters of a-z, 0-9 and -, starting and ending with a letter or digit'),
  );

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DNS_NAME = new RegExp(`^(?:\\*\\.)?(?:${LABEL}\\.)*${LABEL}$`);

/** A DNS name as resolvers take it (253 characters, labels of 63, an optional leading `*.`), lower-cased. */
export const dnsName = z.string().check(
  z.toLowerCase(),
  z.refine((name) => name.length <= 253, 'longer than 253 characters'),
  z.refine((name) => DNS_NAME.test(name), 'not a valid DNS name'),
);

/** A name a certificate can be ordered for: fully qualified, as no CA issues for a single label (`localhost`). */
export const issuableName = dnsName.check(
  z.refine(
    // A name that is no DNS name at all got its message already.
    (name) => !DNS_NAME.test(name) || name.replace(/^\*\./, '').includes('.'),
    'must be a fully qualified name (two labels or more): no CA issues a certificate for a single label',
  ),
);

// ---------------------------------------------------------------------------------------------
// Files

/** Files are written by a service whose working directory is not the config file's: relative paths would move. */
export const absolutePath = z.string().check(z.regex(/^\/[^\0]*$/, 'must be an absolute path'));

/** Octal text such as "0640": YAML 1.2 reads a bare 0640 as the decimal 640, so numbers are refused. */
export const mode = z.pipe(
  z
    .string({ error: 'must be an octal mode in quotes, such as "0640"' })
    .check(z.regex(/^0?[0-7]{3}$/, 'must be an octal mode in quotes, such as "0640"')),
  z.transform((text: string) => Number.parseInt(text, 8)),
);

// ---------------------------------------------------------------------------------------------
// Durations

/**
 * A duration in seconds, above 0 (or at least `min`) and at most `max`: a bound catches milliseconds
 * written for seconds before a timeout becomes days long.
 */
export function seconds(max: number, min?: number) {
  const message = `must be ${min === undefined ? 'more than 0' : `at least ${min}`} and at most ${max} seconds`;
  return z
    .number({ error: message })
    .check(z.maximum(max, message), min === undefined ? z.positive(message) : z.minimum(min, message));
}

const RENEW_BEFORE = /^(\d+(?:\.\d+)?)(d|h|m|s|%)$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

/**
 * When to renew at the latest, before expiry: a duration (`30d`, `36h`, `90m`, `600s`) or a share of
 * the lifetime (`33%`: renew when a third of it is left), as cert-manager's `renewBefore` and
 * `renewBeforePercentage`. Kept as written (a parsed configuration parses again to itself, as the
 * CDK app's copy for the Lambda needs); {@link renewBeforeOf} reads it.
 */
export const renewBefore = z
  .string()
  .check(
    z.refine(
      (text) => renewBeforeOf(text) !== null,
      'must be a duration before expiry such as "30d", "36h" or "90m", or a share of the lifetime such as "33%" (above 0, below 100%)',
    ),
  );

export type RenewBefore = { readonly ms: number } | { readonly share: number };

/** A `renewBefore` as `{ ms }` or `{ share }` (0–1), or null when it is not one. */
export function renewBeforeOf(text: string): RenewBefore | null {
  const match = RENEW_BEFORE.exec(text);
  const value = Number(match?.[1]);
  const unit = match?.[2];
  if (!unit || !(value > 0)) return null;
  if (unit === '%') return value < 100 ? { share: value / 100 } : null;
  return { ms: value * UNIT_MS[unit as keyof typeof UNIT_MS] };
}

// ---------------------------------------------------------------------------------------------
// Secrets

/** The variable's name only: the value stays in the environment (a systemd EnvironmentFile), never in the file. */
export const envName = z
  .string()
  .check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name'));

/** A secret in the environment: a node's keystore passwords come from its systemd EnvironmentFile, never the file. */
export const envSecret = z.strictObject({ env: envName });

/** Where a secret comes from; never the secret itself, so a configuration file can be committed. */
export const secretSource = z.union(
  [
    envSecret,
    z.strictObject({ secretsManager: z.string().check(z.minLength(1, 'must name a secret')) }),
    z.strictObject({ ssmParameter: z.string().check(z.regex(/^\/.+/, 'must start with /')) }),
  ],
  { error: 'must be one of { env: NAME }, { secretsManager: ID }, { ssmParameter: /PATH }' },
);
export type SecretSource = z.infer<typeof secretSource>;

/** A SHA-256 certificate fingerprint: 64 hex digits, colons allowed (as openssl and Node print it). */
export const sha256Fingerprint = z
  .pipe(
    z.string(),
    z.transform((text: string) => text.replaceAll(':', '').toLowerCase()),
  )
  .check(
    z.refine(
      (hex) => /^[0-9a-f]{64}$/.test(hex),
      'must be a SHA-256 fingerprint (64 hex digits, colons allowed)',
    ),
  );

// ---------------------------------------------------------------------------------------------
// Network

/** A host to listen on or connect to, by name or address; resolving it is the network's job, not the schema's. */
export const host = z.string().check(z.minLength(1, 'must be a host name or an IP address'));

/** A port to connect to: 0 names no service. */
export const port = z
  .int({ error: 'must be a port number from 1 to 65535' })
  .check(
    z.minimum(1, 'must be a port number from 1 to 65535'),
    z.maximum(65_535, 'must be a port number from 1 to 65535'),
  );

/** A port to listen on: 0 takes any free port (tests, the embedded stack), the URL logged says which. */
export const listenPort = z
  .int({ error: 'must be a port number from 0 (any free port) to 65535' })
  .check(
    z.minimum(0, 'must be a port number from 0 (any free port) to 65535'),
    z.maximum(65_535, 'must be a port number from 0 (any free port) to 65535'),
  );

/** An http:// or https:// URL: ACME directories, queues and reload endpoints speak HTTP and nothing else. */
export const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** An https:// URL: a DMZ receiver takes keystores, which never travel in the clear. */
export const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });

// ---------------------------------------------------------------------------------------------
// Lists

/**
 * Refuses a list in which two items have the same key, reporting each later item at `[i, ...field]`
 * with `message(key, first)`, `first` being the index of the earlier item. Like every zod check it
 * runs unless an item has the wrong shape, so a duplicate is listed with the list's other mistakes.
 */
export function uniqueBy<T, S extends z.ZodMiniType<readonly T[]>>(
  list: S,
  key: (item: T) => string,
  field: readonly PropertyKey[],
  message: (key: string, first: number) => string,
): S {
  return list.check(
    z.superRefine((items: readonly T[], ctx) => {
      const seen = new Map<string, number>();
      items.forEach((item, i) => {
        const k = key(item);
        const first = seen.get(k);
        if (first === undefined) seen.set(k, i);
        else ctx.addIssue({ code: 'custom', path: [i, ...field], message: message(k, first) });
      });
    }),
  );
}

/** Ids are storage keys: a second item with one id would overwrite the first, or never be reached. */
export function uniqueIds<S extends z.ZodMiniType<readonly { readonly id: string }[]>>(list: S): S {
  return uniqueBy(
    list,
    (item: { readonly id: string }) => item.id,
    ['id'],
    (key) => `duplicate id ${key}`,
  );
}

/** Two targets on one path (compared normalised: `/a/b/` is `/a//b`) would overwrite each other's files. */
export function uniqueTargetPaths<S extends z.ZodMiniType<readonly { readonly path: string }[]>>(
  targets: S,
): S {
  return uniqueBy(
    targets,
    (target: { readonly path: string }) => posix.normalize(target.path).replace(/(.)\/+$/, '$1'),
    ['path'],
    (_, first) => `targets[${first}] writes the same path`,
  );
}
