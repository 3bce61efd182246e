/**
 * The DMZ receiver's configuration file (`acme-ha dmz serve --config F`): where it listens, its own
 * TLS identity, the internal clients it accepts (trust anchors plus pinned fingerprints), what it
 * installs where (the agent's own target schema: path, format, reload, probe), the optional port-80
 * responder in redirect mode, and its limits. No AWS, no ACME: there is nothing to configure for them.
 */

import { targetSchema } from './agent-config.ts';
import {
  absolutePath,
  host,
  httpUrl,
  id,
  listenPort,
  seconds,
  sha256Fingerprint,
  uniqueTargetPaths,
} from './rules.ts';
import * as z from './zod.ts';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const limitsDefaults = {
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  headersTimeoutSeconds: 10,
  bodyTimeoutSeconds: 30,
  idleTimeoutSeconds: 30,
};

/**
 * Keys of the other two files that would make a DMZ instance order certificates or talk to the cloud
 * (CrushFTP's plugin page: never configure Let's Encrypt on the DMZ server), and where they belong.
 */
const ORDERING_KEYS: Readonly<Record<string, string>> = {
  certificates: 'the certificate configuration',
  account: 'the certificate configuration',
  defaults: 'the certificate configuration',
  renewal: 'the certificate configuration',
  aws: "an internal node's agent configuration",
  node: "an internal node's agent configuration",
};

function orderingKeysMessage(keys: readonly string[]): string | undefined {
  const found = keys.filter((key) => key in ORDERING_KEYS);
  if (found.length === 0) return undefined;
  const where = found.map((key) => `${key} belongs in ${ORDERING_KEYS[key]}`).join('; ');
  const others = keys.filter((key) => !(key in ORDERING_KEYS));
  return `a DMZ instance never orders certificates and never talks to AWS: its internal nodes push every revision to it. ${where}${others.length > 0 ? `; unknown keys: ${others.join(', ')}` : ''}`;
}

export const dmzConfigSchema = z.strictObject(
  {
    version: z.literal(1),
    /** This DMZ instance's id (the one in the certificate configuration); used in logs. */
    id,
    listen: z._default(
      z.strictObject({
        host: z._default(host, '0.0.0.0'),
        port: z._default(listenPort, 8443),
      }),
      { host: '0.0.0.0', port: 8443 },
    ),
    tls: z.strictObject({
      /** The receiver's certificate and key (PEM), made by `acme-ha dmz pair`. */
      certificate: absolutePath,
      key: absolutePath,
      /** Trust anchors for client certificates: the pairing client certificates themselves. */
      clientCertificates: z.array(absolutePath).check(z.minLength(1, 'at least one client certificate')),
      /** SHA-256 fingerprints of the client certificates accepted; anything else gets nothing written. */
      pinnedClients: z.array(sha256Fingerprint).check(z.minLength(1, 'pin at least one client certificate')),
    }),
    /** Where the receiver remembers installed revisions (monotonic across restarts). */
    stateDirectory: z._default(absolutePath, '/var/lib/acme-ha-dmz'),
    probeTimeoutSeconds: z._default(seconds(600), 15),
    targets: uniqueTargetPaths(z.array(targetSchema).check(z.minLength(1, 'declare at least one target'))),
    /** The port-80 HTTP-01 responder, redirect mode only (the DMZ has no challenge store). */
    responder: z.optional(
      z.strictObject({
        host: z._default(host, '0.0.0.0'),
        port: z._default(listenPort, 80),
        redirectUrl: httpUrl,
      }),
    ),
    limits: z._default(
      z.strictObject({
        maxBodyBytes: z._default(
          z.int().check(z.minimum(1024), z.maximum(64 * 1024 * 1024)),
          limitsDefaults.maxBodyBytes,
        ),
        headersTimeoutSeconds: z._default(seconds(300), limitsDefaults.headersTimeoutSeconds),
        /** From the first byte of the request to its last (a slow sender is cut off). */
        bodyTimeoutSeconds: z._default(seconds(600), limitsDefaults.bodyTimeoutSeconds),
        idleTimeoutSeconds: z._default(seconds(3600), limitsDefaults.idleTimeoutSeconds),
      }),
      limitsDefaults,
    ),
  },
  {
    error: (issue) => (issue.code === 'unrecognized_keys' ? orderingKeysMessage(issue.keys) : undefined),
  },
);

export type DmzConfig = z.infer<typeof dmzConfigSchema>;
