/**
 * The renew Lambda (functions/renew.ts) and its EventBridge schedule. It orders certificates over
 * ACME, keeps tokens, locks and state in the table, keystores and the ACME account in the bucket
 * (SSE-KMS), publishes events on the topic, and re-invokes itself to continue long runs.
 */
import { ArnFormat, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { AcmeHaConfig, SecretSource } from '../core/config/certificate-config.ts';
import { secretReferences } from '../core/config/secret-references.ts';
import type { ResourceNames } from '../core/resource-layout.ts';
import { acknowledgeObjectPrefixes } from './nag.ts';
import { acmeHaFunction } from './node-function.ts';
import { assertNoProblems } from './props-error.ts';

/** Twice a day at an odd minute, away from the top-of-hour rush the CA asks clients to avoid. */
export const DEFAULT_RENEWAL_SCHEDULE = events.Schedule.cron({ minute: '17', hour: '5,17' });

/** The configuration file beside the renewer's code (see functions/commons/runtime.ts). */
export const RENEWER_CONFIG_FILE = 'acme-ha-config.json';

export interface RenewerProps {
  readonly names: ResourceNames;
  /**
   * The validated configuration; shipped as a JSON file beside the function's code (no 4 KB
   * environment limit), named by ACME_HA_CONFIG_FILE.
   */
  readonly config: AcmeHaConfig;
  readonly key: kms.IKey;
  readonly bucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
  /**
   * When scheduled runs start.
   * @default DEFAULT_RENEWAL_SCHEDULE (05:17 and 17:17 UTC)
   */
  readonly schedule?: events.Schedule;
  /**
   * Memory in MB; RSA key generation is CPU-bound and Lambda CPU scales with memory.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Longest single invocation; longer runs continue in a new invocation.
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
  /**
   * Physical function name; fixed so that the function's self-invoke grant can name its own ARN
   * without a dependency cycle, and so operators can invoke it by name.
   * @default `${names.prefix}-renew`
   */
  readonly functionName?: string;
}

export class Renewer extends Construct {
  readonly function: lambda.Function;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: RenewerProps) {
    super(scope, id);
    const { names, config, key, bucket, table, topic } = props;
    const functionName = props.functionName ?? `${names.prefix}-renew`;
    const memorySize = props.memorySize ?? 1024;
    const timeout = props.timeout ?? Duration.minutes(15);
    const configJson = JSON.stringify(config);

    const problems: string[] = [];
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(functionName))
      problems.push(`functionName ${JSON.stringify(functionName)}: 1–64 characters of A-Z a-z 0-9 _ -`);
    if (!Number.isInteger(memorySize) || memorySize < 512 || memorySize > 10_240)
      problems.push(`memorySize must be 512–10240 MB (RSA keys need CPU), got ${memorySize}`);
    if (timeout.toSeconds() < 300 || timeout.toSeconds() > 900)
      problems.push(
        `timeout must be 5–15 minutes (the function keeps a 4-minute safety margin), got ${timeout.toSeconds()} s`,
      );
    problems.push(...secretSourceProblems(config));
    assertNoProblems('Renewer', problems);

    const stack = Stack.of(this);
    const { function: fn, role } = acmeHaFunction(this, 'Function', {
      entry: 'renew',
      description: 'acme-ha: plans due certificates, orders them over ACME, publishes keystores',
      functionName,
      memorySize,
      timeout,
      environment: {
        ACME_HA_TABLE: table.tableName,
        ACME_HA_BUCKET: bucket.bucketName,
        ACME_HA_TOPIC_ARN: topic.topicArn,
        ACME_HA_KMS_KEY_ID: key.keyArn,
        ACME_HA_CONFIG_FILE: RENEWER_CONFIG_FILE,
      },
      codeFiles: { [RENEWER_CONFIG_FILE]: configJson },
    });
    this.function = fn;
    // A failed run is persisted (backoff) and alarmed; Lambda's own retries would only repeat the
    // CA traffic before the backoff says so. The next scheduled run picks the certificate up.
    this.function.configureAsyncInvoke({ retryAttempts: 0 });

    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StateTable',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          // Once in the table's life: the first catalog of certificates is built from the state items.
          'dynamodb:Scan',
        ],
        resources: [table.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'KeystoresAndAccounts',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [bucket.arnForObjects('certificates/*'), bucket.arnForObjects('accounts/*')],
      }),
    );
    acknowledgeObjectPrefixes(
      role,
      bucket,
      ['certificates/*', 'accounts/*'],
      'Object keys carry certificate ids and revision numbers issued at run time; the grant is confined to the two prefixes the renewer owns (keystores, ACME accounts), never the whole bucket.',
    );
    // Without ListBucket, S3 answers a missing object with 403 instead of 404, and the first run
    // could not tell "no ACME account yet" from "access denied".
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'MissingIs404',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'KeyThroughServices',
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': ['dynamodb', 's3', 'sns'].map((s) => `${s}.${stack.region}.amazonaws.com`),
          },
        },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'Events', actions: ['sns:Publish'], resources: [topic.topicArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ContinueRun',
        actions: ['lambda:InvokeFunction'],
        resources: [
          stack.formatArn({
            service: 'lambda',
            resource: 'function',
            resourceName: functionName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    const secretArns = secretResources(stack, referencedSecrets(config));
    if (secretArns.secretsManager.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ConfiguredSecrets',
          actions: ['secretsmanager:GetSecretValue'],
          resources: secretArns.secretsManager,
        }),
      );
    }
    if (secretArns.ssm.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ConfiguredParameters',
          actions: ['ssm:GetParameter'],
          resources: secretArns.ssm,
        }),
      );
    }

    const dnsRecords = dnsChallengeRecordNames(config);
    if (dnsRecords.length > 0) {
      // DNS-01 (Route 53): the zone is found by name at run time, so the grant cannot name zone
      // ids; it is narrowed to TXT records of exactly the validation names instead.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DnsChallengeRecords',
          actions: ['route53:ChangeResourceRecordSets'],
          resources: [`arn:${stack.partition}:route53:::hostedzone/*`],
          conditions: {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': dnsRecords,
              'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
            },
          },
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DnsChangeStatus',
          actions: ['route53:GetChange'],
          resources: [`arn:${stack.partition}:route53:::change/*`],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DnsZoneLookup',
          // ListHostedZonesByName has no resource-level permissions.
          actions: ['route53:ListHostedZonesByName'],
          resources: ['*'],
        }),
      );
      Validations.of(role).acknowledge(
        {
          id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::hostedzone/*]',
          reason:
            'The hosted zone is looked up by name at run time; the statement allows only TXT changes of exactly the configured _acme-challenge names.',
        },
        {
          id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::change/*]',
          reason: 'Change ids are issued per request; GetChange only reads the propagation status.',
        },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'route53:ListHostedZonesByName supports no resource-level permissions.',
        },
      );
    }

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'acme-ha: scheduled renewal run',
      schedule: props.schedule ?? DEFAULT_RENEWAL_SCHEDULE,
      targets: [new targets.LambdaFunction(this.function, { event: events.RuleTargetInput.fromObject({}) })],
    });

    new CfnOutput(this, 'RenewerFunctionName', {
      value: this.function.functionName,
      description: 'Invoke on demand with {"certificateId": "...", "force": true}',
    });
  }
}

/** Every secret source the configuration names (keystore and key passwords, EAB keys), without duplicates. */
export function referencedSecrets(config: AcmeHaConfig): SecretSource[] {
  const seen = new Set<string>();
  return secretReferences(config)
    .map((r) => r.source)
    .filter((source) => {
      const key = JSON.stringify(source);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/**
 * A secret the renewer cannot read, one problem each: an `{ env: NAME }` source would be looked up
 * in the Lambda's environment, which has only the function's own variables, so the first scheduled
 * run would fail. Named by its path in the configuration and its certificate's id.
 */
export function secretSourceProblems(config: AcmeHaConfig): string[] {
  return secretReferences(config).flatMap(({ source, path, certificateId }) =>
    'env' in source
      ? [
          `config.${path} (certificate ${JSON.stringify(certificateId)}): { env: ${source.env} } is not available to the renewer Lambda; use { secretsManager: <name or ARN> } or { ssmParameter: /<path> } (the renewer's role is granted read access to exactly those)`,
        ]
      : [],
  );
}

/**
 * The TXT record names the renewer writes for dns-01 certificates: `_acme-challenge.<name>`, or
 * `<name>.<delegation>` when validation is delegated by CNAME to another zone.
 */
export function dnsChallengeRecordNames(config: AcmeHaConfig): string[] {
  const names = config.certificates
    .filter((cert) => cert.challenge === 'dns-01')
    .flatMap((cert) =>
      cert.domains.map((domain) => {
        const base = domain.replace(/^\*\./, '');
        return cert.dns?.delegation ? `${base}.${cert.dns.delegation}` : `_acme-challenge.${base}`;
      }),
    );
  return [...new Set(names)];
}

/** ARNs of exactly the secrets and parameters named (environment-variable sources are refused earlier). */
function secretResources(
  stack: Stack,
  sources: readonly SecretSource[],
): { secretsManager: string[]; ssm: string[] } {
  const secretsManager: string[] = [];
  const ssm: string[] = [];
  for (const source of sources) {
    if ('secretsManager' in source) {
      const name = source.secretsManager;
      secretsManager.push(
        name.startsWith('arn:')
          ? name
          : stack.formatArn({
              service: 'secretsmanager',
              resource: 'secret',
              // Secrets Manager appends six random characters to every secret's ARN.
              resourceName: `${name}-??????`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
      );
    } else if ('ssmParameter' in source) {
      ssm.push(
        stack.formatArn({
          service: 'ssm',
          resource: 'parameter',
          resourceName: source.ssmParameter.replace(/^\//, ''),
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      );
    }
  }
  return { secretsManager, ssm };
}
