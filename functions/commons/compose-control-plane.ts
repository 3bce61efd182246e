import { hostname } from 'node:os';
import { AcmeClientAccountAdmin } from '../../adapters/acme/acme-account-admin.ts';
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
import * as z from '../../core/config/zod.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { AcmeAccountAdmin } from '../../core/ports/acme-account-admin.ts';
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
type SettingName = keyof ControlPlaneSettings;

/** What each variable must hold, in the words of our messages (not the schema library's). */
const EXPECTED: Readonly<Record<SettingName, string>> = {
  ACME_HA_TABLE: 'a DynamoDB table name',
  ACME_HA_BUCKET: 'an S3 bucket name',
  ACME_HA_TOPIC_ARN: 'an SNS topic ARN (arn:…)',
  ACME_HA_KMS_KEY_ID: 'a KMS key id or ARN',
  ACME_HA_CA_BUNDLE: 'a PEM bundle or the path of one',
  ACME_HA_POLL_MS: 'a whole number of milliseconds from 10 to 60000',
};

/** One variable of the control plane environment that is unset, empty or malformed. */
export interface SettingProblem {
  readonly variable: SettingName;
  /** `is not set`, `is empty`, or `is not <what the value should be>`. */
  readonly problem: string;
}

/**
 * The control plane environment is incomplete or malformed: `problems` names every variable (never
 * a value). The Lambda fails its invocation on it; the CLI reports it as a command-line problem.
 */
export class ControlPlaneEnvironmentError extends InvalidInputError {
  override readonly name: string = 'ControlPlaneEnvironmentError';
  override readonly code: string = 'CONTROL_PLANE_ENVIRONMENT';
  constructor(readonly problems: readonly SettingProblem[]) {
    super(
      `the control plane environment is incomplete: ${problems.map((p) => `${p.variable} ${p.problem}`).join(', ')}; \`acme-ha local up\` prints it for the embedded stack`,
    );
  }
}

/** @throws ControlPlaneEnvironmentError naming every missing or malformed variable */
export function settingsFromEnv(env: NodeJS.ProcessEnv): ControlPlaneSettings {
  const result = controlPlaneSettings.safeParse(env);
  if (result.success) return result.data;
  const variables = new Set(result.error.issues.map((i) => i.path[0] as SettingName));
  throw new ControlPlaneEnvironmentError(
    [...variables].map((variable) => {
      const value = env[variable];
      const problem =
        value === undefined ? 'is not set' : value === '' ? 'is empty' : `is not ${EXPECTED[variable]}`;
      return { variable, problem };
    }),
  );
}

export interface ControlPlane extends RenewerDeps {
  readonly challenges: ChallengeStore;
  /** Revocation and account key rollover (`acme-ha revoke`, `acme-ha account rollover`). */
  readonly accountAdmin: AcmeAccountAdmin;
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
  const accounts = new StoredAccountStore(keystores);
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
      accounts,
      log: options.log,
      email: options.email,
      extraCaPem: settings.ACME_HA_CA_BUNDLE,
      pollIntervalMs: settings.ACME_HA_POLL_MS ?? 1000,
    }),
    accountAdmin: new AcmeClientAccountAdmin({
      accounts,
      log: options.log,
      extraCaPem: settings.ACME_HA_CA_BUNDLE,
      pollIntervalMs: settings.ACME_HA_POLL_MS ?? 1000,
    }),
    clock: options.clock,
    log: options.log,
    random: Math.random,
    owner: options.owner ?? `${hostname()}:${process.pid}`,
  };
}
