/**
 * The certificate configuration: one YAML file declares every certificate, the nodes that install
 * them and the DMZ instances they are pushed to. The same schema validates it at `cdk synth`, in the
 * local stack, in the renewer and in tests.
 */

import { KEYSTORE_FORMATS } from '../keystore/formats.ts';
import {
  httpsUrl,
  httpUrl,
  id,
  issuableName,
  nodeId,
  renewBefore,
  secretSource,
  uniqueBy,
  uniqueIds,
} from './rules.ts';
import * as z from './zod.ts';

export type { SecretSource } from './rules.ts';

export const KEY_TYPES = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
export const PROFILES = ['classic', 'tlsserver', 'shortlived'] as const;
export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';

const keystore = z
  .strictObject({
    format: z.enum(KEYSTORE_FORMATS),
    alias: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    password: z.optional(secretSource),
    /**
     * The key entry's own password, when the server wants one besides the store's (Tomcat's
     * `certificateKeyPassword`, Jetty's `keyManagerPassword`). @default the store password
     */
    keyPassword: z.optional(secretSource),
  })
  .check(
    z.superRefine((ks, ctx) => {
      if (ks.format !== 'pem' && !ks.password) {
        ctx.addIssue({
          code: 'custom',
          path: ['password'],
          message: `a ${ks.format} keystore needs a password source`,
        });
      }
      if (ks.format === 'pem' && ks.keyPassword) {
        ctx.addIssue({
          code: 'custom',
          path: ['keyPassword'],
          message: 'PEM files have no key password: privkey.pem is not encrypted',
        });
      }
    }),
  );

const eab = z.strictObject({ kid: z.string().check(z.minLength(1)), hmacKey: secretSource });

const certificate = z
  .strictObject({
    id,
    domains: uniqueBy(
      z
        .array(issuableName)
        .check(z.minLength(1, 'at least one domain'), z.maxLength(100, 'at most 100 names per certificate')),
      (domain: string) => domain,
      [],
      (domain) => `${domain} is listed twice`,
    ),
    keyType: z._default(z.enum(KEY_TYPES), 'ec-p256'),
    profile: z.optional(z.enum(PROFILES)),
    /**
     * Renew at the latest this long before expiry (`30d`) or with this share of the lifetime left
     * (`33%`); the CA's renewal window (ARI) may still ask earlier. Longer than the lifetime: ignored,
     * the default applies. @default a third of the lifetime left
     */
    renewBefore: z.optional(renewBefore),
    /**
     * `rotation: always` (a new key with every certificate, as cert-manager's default) or `reuse`
     * (the current key again, certbot's `--reuse-key`, for pinned keys). A changed `keyType` always
     * gets a new key.
     */
    key: z._default(z.strictObject({ rotation: z._default(z.enum(['always', 'reuse']), 'always') }), {
      rotation: 'always',
    }),
    /**
     * When the CA offers alternate chains (ACME `Link: rel="alternate"`), the one with a certificate
     * issued by this common name, the closest to the root winning; none matching: the default chain.
     * As certbot's `--preferred-chain` and cert-manager's `preferredChain`.
     */
    preferredChain: z.optional(
      z.strictObject({ issuerCommonName: z.string().check(z.minLength(1), z.maxLength(64)) }),
    ),
    directory: z.optional(httpUrl),
    eab: z.optional(eab),
    /** CAs to try, in order, when the preferred one is down, rate-limits or refuses (not on failed validation). */
    fallbacks: z._default(
      z
        .array(z.strictObject({ directory: z.url({ protocol: /^https?$/ }), eab: z.optional(eab) }))
        .check(z.maxLength(4)),
      [],
    ),
    challenge: z._default(z.enum(['http-01', 'dns-01']), 'http-01'),
    /**
     * DNS-01 only: `delegation` names a validation zone to which each `_acme-challenge.<name>` is
     * delegated by CNAME (`_acme-challenge.<name>` → `<name>.<delegation>`), so the renewer needs write
     * access to that zone alone.
     */
    dns: z.optional(z.strictObject({ delegation: z.optional(issuableName) })),
    /** Where it is installed: every node in these groups ("Replicate?" checked, in CrushFTP's words)… */
    groups: z._default(z.array(id), []),
    /** …these nodes by name (one node alone: "Replicate?" unchecked)… */
    nodes: z._default(z.array(nodeId), []),
    /** …and these DMZ instances, pushed to by their internal nodes. */
    dmz: z._default(z.array(id), []),
    /**
     * Where the certificate's names resolve, so where the CA's HTTP-01 requests arrive: `internal`
     * (the load balancer in front of the nodes) or `dmz` (its DMZ instances, whose port-80 responder
     * redirects them to the public responder; CrushFTP's "Server Instance" set to a DMZ instance).
     */
    publicEndpoint: z._default(z.enum(['internal', 'dmz']), 'internal'),
    keystores: z.array(keystore).check(z.minLength(1, 'at least one keystore format')),
    /** This certificate's own `rollout.maxParallel`, over the configuration's (fleets differ in size). */
    rollout: z.optional(z.strictObject({ maxParallel: z.int().check(z.minimum(1)) })),
  })
  .check(
    z.superRefine((cert, ctx) => {
      if (cert.publicEndpoint === 'dmz' && cert.dmz.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['publicEndpoint'],
          message: 'publicEndpoint: dmz needs the DMZ instances its names resolve to (dmz: [...])',
        });
      }
      if (cert.dns && cert.challenge !== 'dns-01') {
        ctx.addIssue({ code: 'custom', path: ['dns'], message: 'dns settings need challenge: dns-01' });
      }
      cert.domains.forEach((domain, i) => {
        if (domain.startsWith('*.') && cert.challenge === 'http-01') {
          ctx.addIssue({
            code: 'custom',
            path: ['domains', i],
            message: 'wildcard names need the dns-01 challenge',
          });
        }
      });
    }),
  );

const node = z.strictObject({ id: nodeId, groups: z.array(id).check(z.minLength(1, 'at least one group')) });

const dmzInstance = z.strictObject({
  id,
  /** The receiver's URL, reached from the internal network. */
  url: httpsUrl,
  /** Internal nodes that push to it; more than one for HA. */
  pushedBy: z.array(id).check(z.minLength(1)),
});

export const configSchema = z
  .strictObject({
    version: z.literal(1),
    account: z._default(z.strictObject({ email: z.optional(z.email()) }), {}),
    defaults: z._default(
      z.strictObject({
        directory: z._default(httpUrl, LETS_ENCRYPT),
        profile: z.optional(z.enum(PROFILES)),
      }),
      { directory: LETS_ENCRYPT },
    ),
    renewal: z._default(
      z.strictObject({
        /** Orders in flight at once in one scheduled run. */
        concurrency: z._default(z.int().check(z.minimum(1), z.maximum(20)), 2),
        /** Most new orders per run, a guard below the CA's rate limits (LE: 300 new orders / 3 h). */
        maxOrdersPerRun: z._default(z.int().check(z.minimum(1), z.maximum(300)), 50),
      }),
      { concurrency: 2, maxOrdersPerRun: 50 },
    ),
    /**
     * How revisions roll out to the nodes: `maxParallel` nodes reload a certificate at once,
     * cluster-wide (a certificate's own `rollout` overrides it). Published with each revision (the
     * renewer stores it beside the revision record), so every node obeys this one value; the agent
     * configuration's own is ignored. A change takes effect with the next revision.
     */
    rollout: z._default(z.strictObject({ maxParallel: z._default(z.int().check(z.minimum(1)), 1) }), {
      maxParallel: 1,
    }),
    certificates: uniqueIds(z.array(certificate).check(z.minLength(1, 'declare at least one certificate'))),
    nodes: z._default(uniqueIds(z.array(node)), []),
    dmz: z._default(uniqueIds(z.array(dmzInstance)), []),
  })
  .check(
    z.superRefine((config, ctx) => {
      for (const issue of [...placementIssues(config), ...dmzIssues(config)])
        ctx.addIssue({ code: 'custom', ...issue });
    }),
  );

interface Issue {
  readonly path: (string | number)[];
  readonly message: string;
}

type ParsedFleet = Pick<z.output<typeof configSchema>, 'certificates' | 'nodes' | 'dmz'>;

/** Where each certificate is installed: groups with nodes in them, declared nodes, known DMZ instances. */
function placementIssues(config: ParsedFleet): Issue[] {
  const issues: Issue[] = [];
  const groups = new Set(config.nodes.flatMap((n) => n.groups));
  const nodes = new Set(config.nodes.map((n) => n.id));
  const dmz = new Set(config.dmz.map((d) => d.id));
  config.certificates.forEach((cert, i) => {
    // With the fleet declared, a certificate must reach some of it (without it, any agent that
    // targets the certificate installs it: the embedded stack's ad-hoc nodes).
    if (nodes.size > 0 && cert.dmz.length === 0 && installingNodes(config, cert).length === 0)
      issues.push({
        path: ['certificates', i],
        message:
          'installed nowhere: no declared node is in its groups or named in its nodes, and it has no dmz (earlier releases accepted this; no node could read it)',
      });
    cert.groups.forEach((group, j) => {
      if (nodes.size > 0 && !groups.has(group))
        issues.push({ path: ['certificates', i, 'groups', j], message: `no node is in group ${group}` });
    });
    cert.nodes.forEach((name, j) => {
      if (!nodes.has(name))
        issues.push({
          path: ['certificates', i, 'nodes', j],
          message: dmz.has(name)
            ? `${name} is a DMZ instance: list it under dmz (DMZ instances receive certificates, they never order or pull them)`
            : `unknown node ${name}`,
        });
    });
    cert.dmz.forEach((name, j) => {
      if (!dmz.has(name))
        issues.push({ path: ['certificates', i, 'dmz', j], message: `unknown DMZ instance ${name}` });
    });
  });
  return issues;
}

/** The DMZ rule: a DMZ instance is never a node (it never orders or pulls), and only nodes push to it. */
function dmzIssues(config: ParsedFleet): Issue[] {
  const issues: Issue[] = [];
  const nodes = new Set(config.nodes.map((n) => n.id));
  const dmz = new Set(config.dmz.map((d) => d.id));
  config.dmz.forEach((instance, i) => {
    if (nodes.has(instance.id))
      issues.push({
        path: ['dmz', i, 'id'],
        message: `${instance.id} is declared as a node too: a DMZ instance never orders or pulls certificates (it only receives them from its pushers), so it cannot be a node`,
      });
    instance.pushedBy.forEach((nodeId, j) => {
      if (!nodes.has(nodeId))
        issues.push({
          path: ['dmz', i, 'pushedBy', j],
          message: dmz.has(nodeId)
            ? `${nodeId} is a DMZ instance: only internal nodes push (a DMZ instance opens no connection inward)`
            : `unknown node ${nodeId}`,
        });
    });
  });
  return issues;
}

export type AcmeHaConfig = z.infer<typeof configSchema>;
export type CertificateConfig = AcmeHaConfig['certificates'][number];
export type KeystoreConfig = CertificateConfig['keystores'][number];
export type KeyType = (typeof KEY_TYPES)[number];
export type Profile = (typeof PROFILES)[number];

/** The declared nodes that install a certificate themselves: in one of its groups, or named by it. */
export function installingNodes(
  config: Pick<AcmeHaConfig, 'nodes'>,
  certificate: Pick<CertificateConfig, 'groups' | 'nodes'>,
): string[] {
  const groups = new Set(certificate.groups);
  return config.nodes
    .filter((n) => certificate.nodes.includes(n.id) || n.groups.some((g) => groups.has(g)))
    .map((n) => n.id);
}
