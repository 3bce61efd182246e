/**
 * The agent's own configuration file (one per node): who the node is, where the control plane keeps
 * its state, and what to install where, how to reload it and how to check it is served. Parsed with
 * `parseYamlConfig`, so every problem is listed with its path and line.
 */

import { KEYSTORE_FORMATS } from '../keystore/formats.ts';
import { PEM_FILES } from '../keystore/pem-files.ts';
import { DEFAULT_PREFIX, resourceNames } from '../resource-layout.ts';
import {
  absolutePath,
  dnsName,
  envSecret,
  host,
  httpsUrl,
  httpUrl,
  id,
  issuableName,
  listenPort,
  mode,
  nodeId,
  port,
  seconds,
  sha256Fingerprint,
  uniqueIds,
  uniqueTargetPaths,
} from './rules.ts';
import * as z from './zod.ts';

const DEFAULTS = resourceNames(DEFAULT_PREFIX);

const SIGNALS = ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;

const nonEmpty = z.string().check(z.minLength(1));

/** An absolute path without spaces: it is written into a `credential_process` command line. */
const plainPath = absolutePath.check(z.regex(/^\S+$/, 'must not contain spaces'));

/** An ARN of `service` whose resource starts with `resource` (`arn:aws:iam::123456789012:role/x`). */
function arn(service: string, resource: string) {
  return z
    .string()
    .check(
      z.regex(
        new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]*:\\d{12}:${resource}\\S+$`),
        `must be an ARN arn:aws:${service}:…:${resource}…`,
      ),
    );
}

/** An HTTP header name: an RFC 9110 token. */
const headerName = z.string().check(z.regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not an HTTP header name'));

/** argv (no shell) or one string run by /bin/sh -c. */
const commandSchema = z.union([nonEmpty, z.array(nonEmpty).check(z.minLength(1))]);

/** HAProxy's runtime API: a unix socket path, or `host:port` of a `stats socket ipv4@…`. */
const runtimeSocket = z
  .string()
  .check(z.regex(/^(\/[^\0]*|[A-Za-z0-9.-]+:\d{1,5})$/, 'must be an absolute socket path or host:port'));

export const reloadSchema = z
  .strictObject({
    /** argv (no shell) or one string run by /bin/sh -c. */
    command: z.optional(commandSchema),
    signal: z.optional(z.enum(SIGNALS)),
    pidFile: z.optional(absolutePath),
    http: z.optional(
      z.strictObject({
        url: httpUrl,
        method: z._default(z.enum(['GET', 'POST', 'PUT']), 'POST'),
        /**
         * Request headers; a value is text or `{ env: VAR }` for a secret (e.g. `Authorization` for
         * an admin API such as Tomcat's manager: `Basic <base64 of user:password>` in the variable).
         */
        headers: z.optional(z.record(headerName, z.union([z.string(), envSecret]))),
      }),
    ),
    haproxy: z.optional(
      z.strictObject({
        /** The stats socket with `level admin`. */
        socket: absolutePath,
        /** The certificate's name in HAProxy: the path written in its `crt` line. */
        certificate: nonEmpty,
      }),
    ),
    timeoutSeconds: z._default(seconds(600), 30),
  })
  .check(
    z.superRefine((r, ctx) => {
      const kinds = [r.command, r.signal, r.http, r.haproxy].filter((k) => k !== undefined).length;
      if (kinds !== 1)
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: 'set exactly one of command, signal (with pidFile), http, haproxy',
        });
      if (r.signal && !r.pidFile)
        ctx.addIssue({
          code: 'custom',
          path: ['pidFile'],
          message: 'a signal needs the pidFile of the server',
        });
      if (r.pidFile && !r.signal)
        ctx.addIssue({ code: 'custom', path: ['signal'], message: 'pidFile is only used with signal' });
    }),
  );

export const drainSchema = z
  .strictObject({
    /** This node as a server of a backend in an HAProxy load balancer, through its runtime API. */
    haproxy: z.optional(z.strictObject({ socket: runtimeSocket, backend: nonEmpty, server: nonEmpty })),
    /** Commands that take the node out of rotation and back (a load balancer's CLI or API). */
    command: z.optional(z.strictObject({ drain: commandSchema, ready: commandSchema })),
    /**
     * An HTTP endpoint the agent serves for the load balancer's health check (AWS ALB/NLB, F5): 200
     * while in rotation, 503 from the drain until the node is ready again or while the target's
     * probe ports refuse connections.
     */
    health: z.optional(z.strictObject({ port, host: z._default(host, '0.0.0.0') })),
    /** The most it waits for the node's open connections to end before it reloads anyway. */
    timeoutSeconds: z._default(seconds(3600), 60),
    /**
     * After a drain that cannot count connections (command, health): how long to wait. For a health
     * drain: the load balancer's check interval × unhealthy threshold, plus its deregistration delay.
     */
    settleSeconds: z._default(seconds(3600), 10),
  })
  .check(
    z.superRefine((d, ctx) => {
      if ([d.haproxy, d.command, d.health].filter((k) => k !== undefined).length !== 1)
        ctx.addIssue({ code: 'custom', path: [], message: 'set exactly one of haproxy, command, health' });
    }),
  );

export const probeSchema = z.strictObject({
  host: z._default(host, '127.0.0.1'),
  port,
  /**
   * The name to ask for: any DNS name the server routes on, fully qualified or not. The target's first
   * name (or the revision's first SAN) when absent.
   */
  sni: z.optional(dnsName),
});

const PEM_NAMES = Object.values(PEM_FILES) as [string, ...string[]];

export const targetSchema = z
  .strictObject({
    certificateId: id,
    format: z.enum(KEYSTORE_FORMATS),
    /** The keystore file (jks, pkcs12) or the directory of the PEM files (pem). */
    path: absolutePath,
    /** PEM files to install (default all five). */
    files: z.optional(z.array(z.enum(PEM_NAMES)).check(z.minLength(1))),
    /** Entry the server loads; checked against the keystore (Java stores aliases lower-case). */
    alias: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    password: z.optional(envSecret),
    /**
     * The key entry's own password, when the server wants one besides the store's (Tomcat's
     * `certificateKeyPassword`): the keystore is checked to open with it. @default the store password
     */
    keyPassword: z.optional(envSecret),
    /**
     * Names the certificate must cover, so names a certificate can be issued for; the revision's own
     * names are always required too.
     */
    names: z._default(z.array(issuableName), []),
    owner: z.optional(nonEmpty),
    group: z.optional(nonEmpty),
    mode: z._default(mode, 0o600),
    reload: z.optional(reloadSchema),
    /**
     * Out of the load balancer's rotation around the reload, for servers whose reload is a restart
     * (docs/design/2026-12-05-drain.md): drain, wait for the node's connections to end, reload,
     * probe, and back in rotation once the probe saw the new certificate.
     */
    drain: z.optional(drainSchema),
    probe: z._default(z.array(probeSchema), []),
  })
  .check(
    z.superRefine((t, ctx) => {
      if (t.format !== 'pem' && !t.password)
        ctx.addIssue({
          code: 'custom',
          path: ['password'],
          message: `a ${t.format} keystore needs a password source`,
        });
      if (t.format === 'pem' && t.password)
        ctx.addIssue({ code: 'custom', path: ['password'], message: 'PEM files have no password' });
      if (t.format === 'pem' && t.keyPassword)
        ctx.addIssue({
          code: 'custom',
          path: ['keyPassword'],
          message: 'PEM files have no key password: privkey.pem is not encrypted',
        });
      if (t.format !== 'pem' && t.files)
        ctx.addIssue({ code: 'custom', path: ['files'], message: 'files is for pem targets only' });
      if (t.drain && !t.reload)
        ctx.addIssue({
          code: 'custom',
          path: ['drain'],
          message: 'drain is around a reload: set reload too',
        });
      if (t.drain && t.probe.length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['probe'],
          message: 'a drained target needs a probe: it rejoins only once the probe saw the new certificate',
        });
      if (t.probe.length > 0 && !t.reload)
        ctx.addIssue({ code: 'custom', path: ['reload'], message: 'a probed target needs a reload action' });
      if (t.reload?.haproxy && (t.format !== 'pem' || (t.files && !t.files.includes(PEM_FILES.combined))))
        ctx.addIssue({
          code: 'custom',
          path: ['reload', 'haproxy'],
          message: `the HAProxy runtime API takes a pem target that installs ${PEM_FILES.combined}`,
        });
    }),
  );

const responder = z
  .strictObject({
    /** `lookup` answers from the challenge table; `redirect` sends a 302 to `redirectUrl`. */
    mode: z.enum(['lookup', 'redirect']),
    host: z._default(host, '0.0.0.0'),
    port: z._default(listenPort, 80),
    /** Base URL; the request path is appended (Let's Encrypt follows redirects to ports 80/443). */
    redirectUrl: z.optional(httpUrl),
  })
  .check(
    z.superRefine((r, ctx) => {
      if (r.mode === 'redirect' && !r.redirectUrl)
        ctx.addIssue({ code: 'custom', path: ['redirectUrl'], message: 'redirect mode needs redirectUrl' });
    }),
  );

/** A DMZ receiver this node pushes revisions to (mutual TLS, both sides pinned). */
const dmzPeer = z.strictObject({
  /** The DMZ instance's id in the certificate configuration (status items are `NODE#dmz:<id>`). */
  id,
  url: httpsUrl,
  /** SHA-256 of the receiver's certificate, printed by `acme-ha dmz pair`. */
  serverFingerprint: sha256Fingerprint,
  /** This node's client identity (PEM), made by `acme-ha dmz pair`. */
  clientCertificate: absolutePath,
  clientKey: absolutePath,
  /** Certificates to push: those of the certificate configuration that list this DMZ instance. */
  certificates: z.array(id).check(z.minLength(1)),
  /** A standby pusher waits this long, then asks the receiver again before pushing. @default 0 */
  standbySeconds: z._default(seconds(3600, 0), 0),
  /** One push may take a reload and a probe at the receiver. @default 60 */
  timeoutSeconds: z._default(seconds(600), 60),
  /** Retry of a receiver that is down: min·2^(n-1), capped, jittered. */
  retryMinSeconds: z._default(seconds(3600), 2),
  retryMaxSeconds: z._default(seconds(86_400), 300),
});

export const agentConfigSchema = z
  .strictObject({
    version: z.literal(1),
    node: z.strictObject({
      id: nodeId,
      groups: z._default(z.array(id), []),
    }),
    aws: z.strictObject({
      region: nonEmpty,
      /** Endpoint overrides (the embedded stack); the SDK's defaults and AWS_ENDPOINT_URL_* otherwise. */
      endpoints: z._default(
        z.strictObject({
          dynamodb: z.optional(z.url()),
          s3: z.optional(z.url()),
          sqs: z.optional(z.url()),
        }),
        {},
      ),
      table: z._default(nonEmpty, DEFAULTS.table.name),
      bucket: z._default(nonEmpty, DEFAULTS.bucket),
      /** The node's queue; needed unless the node only answers HTTP-01 challenges. */
      queueUrl: z.optional(httpUrl),
      /**
       * Credentials through IAM Roles Anywhere (on-premise nodes): `agent install` writes an AWS
       * config whose `credential_process` runs AWS's signing helper with this node's certificate.
       */
      rolesAnywhere: z.optional(
        z.strictObject({
          certificate: plainPath,
          privateKey: plainPath,
          trustAnchorArn: arn('rolesanywhere', 'trust-anchor/'),
          profileArn: arn('rolesanywhere', 'profile/'),
          roleArn: arn('iam', 'role/'),
          signingHelper: z._default(plainPath, '/usr/local/bin/aws_signing_helper'),
        }),
      ),
    }),
    /** Where the agent remembers installed revisions. */
    stateDirectory: z._default(absolutePath, '/var/lib/acme-ha'),
    /** Reconcile (desired vs installed revision) this often, besides at start. */
    reconcileIntervalSeconds: z._default(seconds(86_400, 1), 900),
    rollout: z._default(
      z.strictObject({
        /**
         * Deprecated: the certificate configuration's `rollout.maxParallel` is published with each
         * revision and every node obeys it; a value here that differs is ignored with a warning
         * ("agent rollout.maxParallel ignored"). Used only for revisions published before 0.3, by the
         * node that starts their rollout (1 when absent).
         */
        maxParallel: z.optional(z.int().check(z.minimum(1))),
        slotTtlSeconds: z._default(seconds(3600), 300),
        canaryTimeoutSeconds: z._default(seconds(86_400), 600),
        probeTimeoutSeconds: z._default(seconds(600), 15),
      }),
      { slotTtlSeconds: 300, canaryTimeoutSeconds: 600, probeTimeoutSeconds: 15 },
    ),
    /** What the node installs; none for a node that only answers HTTP-01 challenges (a responder). */
    targets: z._default(uniqueTargetPaths(z.array(targetSchema)), []),
    responder: z.optional(responder),
    metrics: z.optional(z.strictObject({ host: z._default(host, '127.0.0.1'), port: listenPort })),
    /** DMZ receivers this node pushes to (see docs/dmz.md). */
    dmz: z._default(uniqueIds(z.array(dmzPeer)), []),
  })
  .check(
    z.superRefine((config, ctx) => {
      if (config.targets.length === 0 && config.dmz.length === 0 && !config.responder)
        ctx.addIssue({
          code: 'custom',
          path: ['targets'],
          message:
            'declare at least one target, a DMZ instance to push to (dmz), or a responder (for a node that only answers HTTP-01 challenges)',
        });
      if ((config.targets.length > 0 || config.dmz.length > 0) && !config.aws.queueUrl)
        ctx.addIssue({
          code: 'custom',
          path: ['aws', 'queueUrl'],
          message:
            "the node's queue is needed to install certificates (a stack output in AWS; `acme-ha local up --node ID` prints it locally)",
        });
      config.dmz.forEach((peer, i) => {
        if (peer.retryMaxSeconds < peer.retryMinSeconds)
          ctx.addIssue({
            code: 'custom',
            path: ['dmz', i, 'retryMaxSeconds'],
            message: 'must not be below retryMinSeconds',
          });
      });
    }),
  );

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type TargetConfig = AgentConfig['targets'][number];
export type ReloadConfig = NonNullable<TargetConfig['reload']>;
export type DrainConfig = NonNullable<TargetConfig['drain']>;
export type ResponderConfig = NonNullable<AgentConfig['responder']>;
export type DmzPeerConfig = AgentConfig['dmz'][number];
