/**
 * The certificate configuration: one YAML file declares every certificate, the nodes that install
 * them and the DMZ instances they are pushed to. The same schema validates it at `cdk synth`, in the
 * local stack, in the renewer and in tests.
 */
import { z } from 'zod';
import { KEYSTORE_FORMATS } from '../keystore/formats.ts';
import { httpsUrl, httpUrl, id, issuableName, nodeId, secretSource, uniqueBy, uniqueIds } from './rules.ts';

export type { SecretSource } from './rules.ts';

export const KEY_TYPES = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
export const PROFILES = ['classic', 'tlsserver', 'shortlived'] as const;
export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';

const keystore = z
  .strictObject({
    format: z.enum(KEYSTORE_FORMATS),
    alias: z.string().min(1).max(200).optional(),
    password: secretSource.optional(),
  })
  .superRefine((ks, ctx) => {
    if (ks.format !== 'pem' && !ks.password) {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: `a ${ks.format} keystore needs a password source`,
      });
    }
  });

const eab = z.strictObject({ kid: z.string().min(1), hmacKey: secretSource });

const certificate = z
  .strictObject({
    id,
    domains: uniqueBy(
      z.array(issuableName).min(1, 'at least one domain').max(100, 'at most 100 names per certificate'),
      (domain: string) => domain,
      [],
      (domain) => `${domain} is listed twice`,
    ),
    keyType: z.enum(KEY_TYPES).default('ec-p256'),
    profile: z.enum(PROFILES).optional(),
    directory: httpUrl.optional(),
    eab: eab.optional(),
    /** CAs to try, in order, when the preferred one is down, rate-limits or refuses (not on failed validation). */
    fallbacks: z
      .array(z.strictObject({ directory: z.url({ protocol: /^https?$/ }), eab: eab.optional() }))
      .max(4)
      .default([]),
    challenge: z.enum(['http-01', 'dns-01']).default('http-01'),
    /**
     * DNS-01 only: `delegation` names a validation zone to which each `_acme-challenge.<name>` is
     * delegated by CNAME (`_acme-challenge.<name>` → `<name>.<delegation>`), so the renewer needs write
     * access to that zone alone.
     */
    dns: z.strictObject({ delegation: issuableName.optional() }).optional(),
    groups: z.array(id).default([]),
    dmz: z.array(id).default([]),
    keystores: z.array(keystore).min(1, 'at least one keystore format'),
  })
  .superRefine((cert, ctx) => {
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
  });

const node = z.strictObject({ id: nodeId, groups: z.array(id).min(1, 'at least one group') });

const dmzInstance = z.strictObject({
  id,
  /** The receiver's URL, reached from the internal network. */
  url: httpsUrl,
  /** Internal nodes that push to it; more than one for HA. */
  pushedBy: z.array(id).min(1),
});

export const configSchema = z
  .strictObject({
    version: z.literal(1),
    account: z.strictObject({ email: z.email().optional() }).default({}),
    defaults: z
      .strictObject({
        directory: httpUrl.default(LETS_ENCRYPT),
        profile: z.enum(PROFILES).optional(),
      })
      .default({ directory: LETS_ENCRYPT }),
    renewal: z
      .strictObject({
        /** Orders in flight at once in one scheduled run. */
        concurrency: z.int().min(1).max(20).default(2),
        /** Most new orders per run, a guard below the CA's rate limits (LE: 300 new orders / 3 h). */
        maxOrdersPerRun: z.int().min(1).max(300).default(50),
      })
      .default({ concurrency: 2, maxOrdersPerRun: 50 }),
    rollout: z.strictObject({ maxParallel: z.int().min(1).default(1) }).default({ maxParallel: 1 }),
    certificates: uniqueIds(z.array(certificate).min(1, 'declare at least one certificate')),
    nodes: uniqueIds(z.array(node)).default([]),
    dmz: uniqueIds(z.array(dmzInstance)).default([]),
  })
  .superRefine((config, ctx) => {
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
  });

export type AcmeHaConfig = z.infer<typeof configSchema>;
export type CertificateConfig = AcmeHaConfig['certificates'][number];
export type KeystoreConfig = CertificateConfig['keystores'][number];
export type KeyType = (typeof KEY_TYPES)[number];
export type Profile = (typeof PROFILES)[number];
