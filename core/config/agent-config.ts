/**
 * The agent's own configuration file (one per node): who the node is, where the control plane keeps
 * its state, and what to install where, how to reload it and how to check it is served. Parsed with
 * `parseYamlConfig`, so every problem is listed with its path and line.
 */
import { z } from 'zod';
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

const DEFAULTS = resourceNames(DEFAULT_PREFIX);

const SIGNALS = ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;

export const reloadSchema = z
  .strictObject({
    /** argv (no shell) or one string run by /bin/sh -c. */
    command: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    signal: z.enum(SIGNALS).optional(),
    pidFile: absolutePath.optional(),
    http: z
      .strictObject({
        url: httpUrl,
        method: z.enum(['GET', 'POST', 'PUT']).default('POST'),
      })
      .optional(),
    haproxy: z
      .strictObject({
        /** The stats socket with `level admin`. */
        socket: absolutePath,
        /** The certificate's name in HAProxy: the path written in its `crt` line. */
        certificate: z.string().min(1),
      })
      .optional(),
    timeoutSeconds: seconds(600).default(30),
  })
  .superRefine((r, ctx) => {
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
  });

export const probeSchema = z.strictObject({
  host: host.default('127.0.0.1'),
  port,
  /**
   * The name to ask for: any DNS name the server routes on, fully qualified or not. The target's first
   * name (or the revision's first SAN) when absent.
   */
  sni: dnsName.optional(),
});

const PEM_NAMES = Object.values(PEM_FILES) as [string, ...string[]];

export const targetSchema = z
  .strictObject({
    certificateId: id,
    format: z.enum(KEYSTORE_FORMATS),
    /** The keystore file (jks, pkcs12) or the directory of the PEM files (pem). */
    path: absolutePath,
    /** PEM files to install (default all five). */
    files: z.array(z.enum(PEM_NAMES)).min(1).optional(),
    /** Entry the server loads; checked against the keystore (Java stores aliases lower-case). */
    alias: z.string().min(1).max(200).optional(),
    password: envSecret.optional(),
    /**
     * Names the certificate must cover, so names a certificate can be issued for; the revision's own
     * names are always required too.
     */
    names: z.array(issuableName).default([]),
    owner: z.string().min(1).optional(),
    group: z.string().min(1).optional(),
    mode: mode.default(0o600),
    reload: reloadSchema.optional(),
    probe: z.array(probeSchema).default([]),
  })
  .superRefine((t, ctx) => {
    if (t.format !== 'pem' && !t.password)
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: `a ${t.format} keystore needs a password source`,
      });
    if (t.format === 'pem' && t.password)
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'PEM files have no password' });
    if (t.format !== 'pem' && t.files)
      ctx.addIssue({ code: 'custom', path: ['files'], message: 'files is for pem targets only' });
    if (t.probe.length > 0 && !t.reload)
      ctx.addIssue({ code: 'custom', path: ['reload'], message: 'a probed target needs a reload action' });
    if (t.reload?.haproxy && (t.format !== 'pem' || (t.files && !t.files.includes(PEM_FILES.combined))))
      ctx.addIssue({
        code: 'custom',
        path: ['reload', 'haproxy'],
        message: `the HAProxy runtime API takes a pem target that installs ${PEM_FILES.combined}`,
      });
  });

const responder = z
  .strictObject({
    /** `lookup` answers from the challenge table; `redirect` sends a 302 to `redirectUrl`. */
    mode: z.enum(['lookup', 'redirect']),
    host: host.default('0.0.0.0'),
    port: listenPort.default(80),
    /** Base URL; the request path is appended (Let's Encrypt follows redirects to ports 80/443). */
    redirectUrl: httpUrl.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.mode === 'redirect' && !r.redirectUrl)
      ctx.addIssue({ code: 'custom', path: ['redirectUrl'], message: 'redirect mode needs redirectUrl' });
  });

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
  certificates: z.array(id).min(1),
  /** A standby pusher waits this long, then asks the receiver again before pushing. @default 0 */
  standbySeconds: seconds(3600, 0).default(0),
  /** One push may take a reload and a probe at the receiver. @default 60 */
  timeoutSeconds: seconds(600).default(60),
  /** Retry of a receiver that is down: min·2^(n-1), capped, jittered. */
  retryMinSeconds: seconds(3600).default(2),
  retryMaxSeconds: seconds(86_400).default(300),
});

export const agentConfigSchema = z
  .strictObject({
    version: z.literal(1),
    node: z.strictObject({
      id: nodeId,
      groups: z.array(id).default([]),
    }),
    aws: z.strictObject({
      region: z.string().min(1),
      /** Endpoint overrides (the embedded stack); the SDK's defaults and AWS_ENDPOINT_URL_* otherwise. */
      endpoints: z
        .strictObject({
          dynamodb: z.url().optional(),
          s3: z.url().optional(),
          sqs: z.url().optional(),
        })
        .default({}),
      table: z.string().min(1).default(DEFAULTS.table.name),
      bucket: z.string().min(1).default(DEFAULTS.bucket),
      /** The node's queue; needed unless the node only answers HTTP-01 challenges. */
      queueUrl: httpUrl.optional(),
    }),
    /** Where the agent remembers installed revisions. */
    stateDirectory: absolutePath.default('/var/lib/acme-ha'),
    /** Reconcile (desired vs installed revision) this often, besides at start. */
    reconcileIntervalSeconds: seconds(86_400, 1).default(900),
    rollout: z
      .strictObject({
        /** Used when this node starts a rollout; the first node's value is what every node obeys. */
        maxParallel: z.int().min(1).default(1),
        slotTtlSeconds: seconds(3600).default(300),
        canaryTimeoutSeconds: seconds(86_400).default(600),
        probeTimeoutSeconds: seconds(600).default(15),
      })
      .default({ maxParallel: 1, slotTtlSeconds: 300, canaryTimeoutSeconds: 600, probeTimeoutSeconds: 15 }),
    /** What the node installs; none for a node that only answers HTTP-01 challenges (a responder). */
    targets: uniqueTargetPaths(z.array(targetSchema)).default([]),
    responder: responder.optional(),
    metrics: z.strictObject({ host: host.default('127.0.0.1'), port: listenPort }).optional(),
    /** DMZ receivers this node pushes to (see docs/dmz.md). */
    dmz: uniqueIds(z.array(dmzPeer)).default([]),
  })
  .superRefine((config, ctx) => {
    if (config.targets.length === 0 && !config.responder)
      ctx.addIssue({
        code: 'custom',
        path: ['targets'],
        message:
          'declare at least one target, or a responder (for a node that only answers HTTP-01 challenges)',
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
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type TargetConfig = AgentConfig['targets'][number];
export type ReloadConfig = NonNullable<TargetConfig['reload']>;
export type ResponderConfig = NonNullable<AgentConfig['responder']>;
export type DmzPeerConfig = AgentConfig['dmz'][number];
