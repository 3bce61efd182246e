import { hostname } from 'node:os';
import { AcmeClientIssuer } from '../../adapters/acme/acme-client-issuer.ts';
import { StoredAccountStore } from '../../adapters/acme/stored-account-store.ts';
import type { AwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoChallengeStore } from '../../adapters/aws/dynamo-challenge-store.ts';
import { DynamoLock } from '../../adapters/aws/dynamo-lock.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { Route53TxtRecords } from '../../adapters/aws/route53-txt-records.ts';
import { S3KeystoreStore } from '../../adapters/aws/s3-keystore-store.ts';
import { SnsEventPublisher } from '../../adapters/aws/sns-event-publisher.ts';
import { SourceSecretResolver } from '../../adapters/secrets/source-secret-resolver.ts';
import { formatPath } from '../../core/config/parse-config.ts';
import * as z from '../../core/config/zod.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { ChallengeStore } from '../../core/ports/challenge-store.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { Logger } from '../../core/ports/logger.ts';
import type { RenewerDeps } from '../../core/renewal/renew-certificate.ts';

/** Where the control plane keeps its state: the resources of the stack (cloud or embedded). */
const nonEmpty = z.string().check(z.minLength(1));

export const controlPlaneSettings = z.object({
  ACME_HA_TABLE: nonEmpty,
  ACME_HA_BUCKET: nonEmpty,
  ACME_HA_TOPIC_ARN: z.string().check(z.startsWith('arn:')),
  ACME_HA_KMS_KEY_ID: z.optional(nonEmpty),
  /** PEM bundle of extra CAs to trust for the ACME server's HTTPS (Pebble's, locally). */
  ACME_HA_CA_BUNDLE: z.optional(nonEmpty),
  /** acme-client's polling interval; Pebble answers in milliseconds. */
  ACME_HA_POLL_MS: z.optional(z.coerce.number().check(z.int(), z.minimum(10), z.maximum(60_000))),
});
export type ControlPlaneSettings = z.infer<typeof controlPlaneSettings>;

/** @throws InvalidInputError naming every missing or malformed variable */
export function settingsFromEnv(env: NodeJS.ProcessEnv): ControlPlaneSettings {
  const result = controlPlaneSettings.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${formatPath(i.path)} (${i.message})`).join(', ');
  throw new InvalidInputError(
    `the control plane environment is incomplete: ${problems}; \`acme-ha local up\` prints it for the embedded stack`,
  );
}

export interface ControlPlane extends RenewerDeps {
  readonly challenges: ChallengeStore;
}

/** Wires the renewer's ports to DynamoDB, S3, SNS and acme-client. */
export function createControlPlane(
  settings: ControlPlaneSettings,
  clients: AwsClients,
  options: {
    readonly log: Logger;
    readonly clock: Clock;
    readonly env?: NodeJS.ProcessEnv;
    readonly email?: string | undefined;
    readonly owner?: string;
  },
): ControlPlane {
  const table = settings.ACME_HA_TABLE;
  const keystores = new S3KeystoreStore(clients.s3, settings.ACME_HA_BUCKET, settings.ACME_HA_KMS_KEY_ID);
  const challenges = new DynamoChallengeStore(clients.documents, table, options.clock);
  return {
    challenges,
    state: new DynamoStateStore(clients.documents, table),
    keystores,
    events: new SnsEventPublisher(clients.sns, settings.ACME_HA_TOPIC_ARN),
    lock: new DynamoLock(clients.documents, table, options.clock),
    secrets: new SourceSecretResolver(options.env ?? process.env),
    issuer: new AcmeClientIssuer({
      challenges,
      dnsRecords: new Route53TxtRecords(clients.route53, { pollMs: settings.ACME_HA_POLL_MS ?? 2000 }),
      accounts: new StoredAccountStore(keystores),
      log: options.log,
      email: options.email,
      extraCaPem: settings.ACME_HA_CA_BUNDLE,
      pollIntervalMs: settings.ACME_HA_POLL_MS ?? 1000,
    }),
    clock: options.clock,
    log: options.log,
    random: Math.random,
    owner: options.owner ?? `${hostname()}:${process.pid}`,
  };
}
