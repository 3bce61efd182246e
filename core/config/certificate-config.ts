/**
 * The certificate configuration: one YAML file declares every certificate, the nodes that install
 * them and the DMZ instances they are pushed to. The same schema validates it at `cdk synth`, in the
 * local stack, in the renewer and in tests.
 */

import { KEYSTORE_FORMATS } from '../keystore/formats.ts';
import { httpsUrl, httpUrl, id, issuableName, nodeId, secretSource, uniqueBy, uniqueIds } from './rules.ts';
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
    groups: z._default(z.array(id), []),
    dmz: z._default(z.array(id), []),
    keystores: z.array(keystore).check(z.minLength(1, 'at least one keystore format')),
    /** This certificate's own `rollout.maxParallel`, over the configuration's (fleets differ in size). */
    rollout: z.optional(z.strictObject({ maxParallel: z.int().check(z.minimum(1)) })),
  })
  .check(
    z.superRefine((cert, ctx) => {
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
      const groups = new Set(config.nodes.flatMap((n) => n.groups));
      const nodes = new Set(config.nodes.map((n) => n.id));
      const dmz = new Set(config.dmz.map((d) => d.id));
      config.certificates.forEach((cert, i) => {
        cert.groups.forEach((group, j) => {
          if (config.nodes.length > 0 && !groups.has(group)) {
            ctx.addIssue({
              code: 'custom',
              path: ['certificates', i, 'groups', j],
              message: `no node is in group ${group}`,
            });
          }
        });
        cert.dmz.forEach((name, j) => {
          if (!dmz.has(name))
            ctx.addIssue({
              code: 'custom',
              path: ['certificates', i, 'dmz', j],
              message: `unknown DMZ instance ${name}`,
            });
        });
      });
      config.dmz.forEach((instance, i) => {
        instance.pushedBy.forEach((nodeId, j) => {
          if (!nodes.has(nodeId))
            ctx.addIssue({
              code: 'custom',
              path: ['dmz', i, 'pushedBy', j],
              message: `unknown node ${nodeId}`,
            });
        });
      });
    }),
  );

export type AcmeHaConfig = z.infer<typeof configSchema>;
export type CertificateConfig = AcmeHaConfig['certificates'][number];
export type KeystoreConfig = CertificateConfig['keystores'][number];
export type KeyType = (typeof KEY_TYPES)[number];
export type Profile = (typeof PROFILES)[number];
