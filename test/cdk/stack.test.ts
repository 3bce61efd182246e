/**
 * The default deployment: cdk.json's context and examples/acme-ha.yaml, exactly what
 * `npm run synth` builds (function URL responder, no Roles Anywhere). One synthesis for the file,
 * with CDK's CloudFormation validation on, as the CLI runs it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/parse-config.ts';
import { resourceNames } from '../../core/resource-layout.ts';
import { tempDir } from '../support/temp-dir.ts';
import { identityStatements, wildcardViolations } from './support/iam.ts';
import { acknowledgements, nagFindings } from './support/nag.ts';
import { ROOT, type Synthesized, synth } from './support/synth.ts';

const names = resourceNames();
const config = parseConfig(
  readFileSync(join(ROOT, 'examples/acme-ha.yaml'), 'utf8'),
  'examples/acme-ha.yaml',
);
let synthesized: Synthesized;
let template: Template;

beforeAll(async () => {
  synthesized = synth({ outdir: await tempDir('acme-ha-cdk-'), cfnValidation: true });
  template = synthesized.template;
});

describe('store', () => {
  it('has a customer-managed KMS key with rotation, retained on teardown', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/acme-ha' });
  });

  it('keeps keystores in a versioned, SSE-KMS, non-public bucket with old versions expiring', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketName: {
          'Fn::Join': ['', [`${names.bucket}-`, { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] },
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: 'Enabled' }),
          ]),
        },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'keystores/' }),
      }),
    });
  });

  it('refuses every request to the keystore bucket that is not TLS (1.2 or newer)', () => {
    const bucketPolicies = template.findResources('AWS::S3::BucketPolicy', {
      Properties: { Bucket: { Ref: Match.stringLikeRegexp('^StoreKeystores') } },
    });
    const statements = Object.values(bucketPolicies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
          .Statement,
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
        }),
      ]),
    );
  });

  it('builds the table from the shared layout: keys, TTL, PITR, customer-managed encryption', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        TableName: names.table.name,
        BillingMode: names.table.billingMode,
        KeySchema: [
          { AttributeName: names.table.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: names.table.sortKey.name, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: names.table.partitionKey.name, AttributeType: names.table.partitionKey.type },
          { AttributeName: names.table.sortKey.name, AttributeType: names.table.sortKey.type },
        ],
        TimeToLiveSpecification: { AttributeName: names.table.timeToLiveAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] },
        },
        DeletionProtectionEnabled: true,
      }),
    });
  });
});

describe('fleet', () => {
  it('encrypts the event topic with the key and refuses plain HTTP publishing', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: names.topic,
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^FleetEvents') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('gives every configured node a KMS queue with long polling and a dead-letter queue', () => {
    expect(config.nodes.length).toBeGreaterThan(0);
    for (const node of config.nodes) {
      const layout = names.queue(node.id);
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: layout.deadLetterName,
        KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] },
        MessageRetentionPeriod: layout.retentionSeconds,
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: layout.name,
        KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] },
        ReceiveMessageWaitTimeSeconds: 20,
        VisibilityTimeout: layout.visibilityTimeoutSeconds,
        MessageRetentionPeriod: layout.retentionSeconds,
        RedrivePolicy: {
          deadLetterTargetArn: {
            'Fn::GetAtt': [Match.stringLikeRegexp(`^Fleet${node.id.replace(/-/g, '')}dlq`), 'Arn'],
          },
          maxReceiveCount: layout.maxReceiveCount,
        },
      });
    }
    // Exactly the configured nodes: a queue and a dead-letter queue each, nothing more.
    template.resourceCountIs('AWS::SQS::Queue', config.nodes.length * 2);
  });

  it('subscribes each queue with enveloped delivery and a filter on its groups and DMZ pushes', () => {
    // mft-1 and mft-2 push to dmz-1 (examples/acme-ha.yaml).
    const audience: Record<string, string[]> = {
      'mft-1': ['mft', 'node:mft-1', 'dmz:dmz-1'],
      'mft-2': ['mft', 'node:mft-2', 'dmz:dmz-1'],
      'web-1': ['web', 'node:web-1'],
    };
    for (const node of config.nodes) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'sqs',
        RawMessageDelivery: false,
        FilterPolicy: { groups: audience[node.id] },
        Endpoint: {
          'Fn::GetAtt': [Match.stringLikeRegexp(`^Fleet${node.id.replace(/-/g, '')}queue`), 'Arn'],
        },
      });
    }
    template.resourceCountIs('AWS::SNS::Subscription', config.nodes.length);
  });

  it('gives each agent role its own queue only, its certificates only', () => {
    const statements = identityStatements({ main: template });
    const byRole = (nodeId: string) =>
      statements.filter((s) => s.resource.startsWith(`Fleet${nodeId.replace(/-/g, '')}roleDefaultPolicy`));
    const web = byRole('web-1');
    expect(web.find((s) => s.sid === 'OwnQueue')?.resources).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^Fleetweb1queue/), 'Arn'] },
    ]);
    expect(JSON.stringify(web.find((s) => s.sid === 'OwnKeystores')?.resources)).toContain(
      '/certificates/web/*',
    );
    expect(JSON.stringify(web)).not.toContain('certificates/files');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'OwnCertificateItems',
            Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CERT#files'] } },
          }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^Fleetmft1role') }],
    });
  });
});

describe('renewer', () => {
  it('runs Node 24 on arm64 with the table, bucket, topic, key and the validated config in its bundle', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'acme-ha-renew',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({
          ACME_HA_TABLE: { Ref: Match.stringLikeRegexp('^StoreTable') },
          ACME_HA_BUCKET: { Ref: Match.stringLikeRegexp('^StoreKeystores') },
          ACME_HA_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^FleetEvents') },
          ACME_HA_KMS_KEY_ID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] },
          ACME_HA_CONFIG_FILE: 'acme-ha-config.json',
        }),
      },
    });
    // The config the function reads is the validated one, round-trippable by the same parser
    // (that it lands in the bundle is checked in bundles.test.ts).
    expect(parseConfig(JSON.stringify(config), 'bundle')).toEqual(config);
  });

  it('is scheduled twice a day by EventBridge', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(17 5,17 * * ? *)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RenewerFunction'), 'Arn'] } }),
      ],
    });
  });

  it('may invoke only itself, and reads and writes only its two bucket prefixes', () => {
    const renewer = identityStatements({ main: template }).filter((s) =>
      s.resource.startsWith('RenewerFunctionRole'),
    );
    const invoke = renewer.find((s) => s.actions.includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invoke?.resources)).toContain(':function:acme-ha-renew');
    const objects = renewer.find((s) => s.sid === 'KeystoresAndAccounts');
    expect(JSON.stringify(objects?.resources)).toMatch(/\/accounts\/\*.*\/certificates\/\*/);
    // The example's one secret (the JKS password) is granted to the renewer, and to no other role.
    const secrets = renewer.find((s) => s.sid === 'ConfiguredSecrets');
    expect(secrets?.actions).toEqual(['secretsmanager:GetSecretValue']);
    expect(JSON.stringify(secrets?.resources)).toContain(':secret:acme-ha/files-keystore-password-??????');
    expect(secrets?.resources).toHaveLength(1);
    expect(renewer.some((s) => s.actions.some((a) => a.startsWith('ssm:')))).toBe(false);
    const elsewhere = identityStatements({ main: template }).filter(
      (s) =>
        !s.resource.startsWith('RenewerFunctionRole') &&
        s.actions.some((a) => a.startsWith('secretsmanager:') || a.startsWith('ssm:Get')),
    );
    expect(elsewhere).toEqual([]);
  });
});

describe('fleet watch', () => {
  it('runs Node 24 on arm64 every 5 minutes with the table, the configuration and the thresholds', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'acme-ha-fleet-watch',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          ACME_HA_TABLE: { Ref: Match.stringLikeRegexp('^StoreTable') },
          ACME_HA_CONFIG_FILE: 'acme-ha-config.json',
          ACME_HA_SILENT_AFTER_MINUTES: '35',
          ACME_HA_LAG_GRACE_MINUTES: '120',
        },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FleetWatchFunction'), 'Arn'] } }),
      ],
    });
  });

  it('only reads: GetItem and Query in certificates’ partitions and the catalog, heartbeats in batches, the key through DynamoDB', () => {
    const statements = identityStatements({ main: template }).filter((s) =>
      s.resource.startsWith('FleetWatchFunctionRole'),
    );
    expect(statements.flatMap((s) => s.actions).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'kms:Decrypt',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ReadFleet',
            // Retired certificates too, which the configuration no longer names.
            Condition: {
              'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CERT#*', 'CATALOG', 'NODE#*'] },
            },
          }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^FleetWatchFunctionRole') }],
    });
  });
});

describe('responder (default: function URL)', () => {
  it('answers through a public function URL on its own arm64 function', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({ ACME_HA_TABLE: { Ref: Match.stringLikeRegexp('^StoreTable') } }),
      },
      Description: Match.stringLikeRegexp('HTTP-01'),
    });
    template.hasOutput('*', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResponderFunctionFunctionUrl'), 'FunctionUrl'] },
    });
  });
});

describe('monitoring', () => {
  it('alarms on renewal failures from the renewer metric', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'acme-ha',
      MetricName: 'certificates_failed',
      Dimensions: [{ Name: 'service', Value: 'renewer' }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }],
    });
  });

  it('alarms on every dead-letter queue that is not empty', () => {
    for (const node of config.nodes) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: {
              'Fn::GetAtt': [Match.stringLikeRegexp(`^Fleet${node.id.replace(/-/g, '')}dlq`), 'QueueName'],
            },
          },
        ],
        Threshold: 1,
      });
    }
  });

  it('alarms when the fleet-watch function fails', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^FleetWatchFunction') } }],
      Threshold: 1,
    });
  });

  it('alarms per certificate on expiry, lagging, failed and silent nodes', () => {
    for (const cert of config.certificates) {
      for (const metric of ['served_days_remaining', 'revision_lag', 'node_failed', 'node_silent']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'acme-ha',
          MetricName: metric,
          Dimensions: [{ Name: 'CertificateId', Value: cert.id }],
        });
      }
    }
    // The example's default profile is tlsserver (45 days): alarm a week before expiry.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'served_days_remaining',
      Dimensions: [{ Name: 'CertificateId', Value: 'web' }],
      Threshold: 7,
      ComparisonOperator: 'LessThanThreshold',
    });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] },
      DisplayName: Match.stringLikeRegexp('alarms'),
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('least privilege and cdk-nag', () => {
  it('has no Allow statement with a * action, nor a * resource where the action has a narrower one', () => {
    const statements = identityStatements({ main: template });
    expect(statements.length).toBeGreaterThan(10);
    expect(wildcardViolations(statements)).toEqual([]);
  });

  it('uses no AWS managed policy on any role', () => {
    const roles = template.findResources('AWS::IAM::Role');
    for (const role of Object.values(roles)) {
      expect(
        (role as { Properties: { ManagedPolicyArns?: unknown } }).Properties.ManagedPolicyArns,
      ).toBeUndefined();
    }
  });

  it('leaves no unacknowledged AwsSolutions finding, and every acknowledgement says why', () => {
    expect(nagFindings(synthesized.app)).toEqual([]);
    const acks = acknowledgements(synthesized.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThan(40);
  });
});

describe('logical IDs', () => {
  // Recorded from the stack as it was before AcmeHa existed (AcmeHaStack built the parts itself).
  // AcmeHaStack now holds them in `new AcmeHa(this, 'Default', …)`; CDK leaves `Default` out of
  // logical IDs, so a deployed stack updates in place instead of replacing its table and key.
  const RECORDED: Record<string, string> = {
    StoreKey7A3C02BD: 'AWS::KMS::Key',
    StoreKeyAliasC65BA47F: 'AWS::KMS::Alias',
    StoreAccessLogs087BBF22: 'AWS::S3::Bucket',
    StoreKeystores868EC62D: 'AWS::S3::Bucket',
    StoreKeystoresPolicyF49AFE77: 'AWS::S3::BucketPolicy',
    StoreTable0CCFA19B: 'AWS::DynamoDB::Table',
    FleetEvents6F4B4E35: 'AWS::SNS::Topic',
    Fleetmft1dlq8EFD6A69: 'AWS::SQS::Queue',
    Fleetmft1queueD9325A43: 'AWS::SQS::Queue',
    Fleetmft1queueAcmeHaFleetEvents46BA54D7702105ED: 'AWS::SNS::Subscription',
    Fleetmft1roleDC8525EB: 'AWS::IAM::Role',
    Fleetweb1roleDefaultPolicy782FF5F2: 'AWS::IAM::Policy',
    RenewerFunctionLogs23FF27CD: 'AWS::Logs::LogGroup',
    RenewerFunctionRole9635A6BC: 'AWS::IAM::Role',
    RenewerFunctionRoleDefaultPolicy7B06535B: 'AWS::IAM::Policy',
    RenewerFunctionEA3DC63B: 'AWS::Lambda::Function',
    RenewerFunctionEventInvokeConfigD6279BE5: 'AWS::Lambda::EventInvokeConfig',
    RenewerScheduleD120EE0A: 'AWS::Events::Rule',
    RenewerScheduleAllowEventRuleAcmeHaRenewerFunction1A3584E5B8CFD068: 'AWS::Lambda::Permission',
    ResponderFunctionRoleBF7EA729: 'AWS::IAM::Role',
    ResponderFunctionF0C76E50: 'AWS::Lambda::Function',
    ResponderFunctionFunctionUrl15BAA1AA: 'AWS::Lambda::Url',
    MonitoringAlarmTopicAF62D4F1: 'AWS::SNS::Topic',
    MonitoringRenewalFailed992987D3: 'AWS::CloudWatch::Alarm',
    Monitoringweb1dlqnotemptyCCCBEF38: 'AWS::CloudWatch::Alarm',
    MonitoringDashboard0C3675C6: 'AWS::CloudWatch::Dashboard',
  };
  const RECORDED_OUTPUTS = [
    'TableName',
    'BucketName',
    'KeyArn',
    'TopicArn',
    'Fleetmft1queueurl9A95EEFE',
    'Fleetweb1rolearnEBA1A9D1',
    'RenewerRenewerFunctionName6E214EBB',
    'ResponderResponderUrl83F85233',
    'MonitoringAlarmTopicArn78A8E021',
  ];

  it('are those the stack had before it wrapped AcmeHa', () => {
    const resources = template.toJSON().Resources as Record<string, { Type: string }>;
    const found = Object.fromEntries(
      Object.keys(RECORDED).map((id) => [id, resources[id]?.Type ?? 'missing']),
    );
    expect(found).toEqual(RECORDED);
    // 58 resources then; none appeared or vanished with the move. The fleet watch came later: its
    // function, role, policy, log group, invoke config, schedule and permission, its errors alarm
    // and a silent-node alarm per certificate.
    const fleetWatch = Object.keys(resources).filter((id) =>
      /^FleetWatch|^MonitoringFleetWatchErrors|nodesilent/.test(id),
    );
    expect(fleetWatch).toHaveLength(7 + 1 + config.certificates.length);
    expect(Object.keys(resources)).toHaveLength(58 + fleetWatch.length);
    expect(Object.keys(template.toJSON().Outputs)).toEqual(expect.arrayContaining(RECORDED_OUTPUTS));
    expect(synthesized.stack.acmeHa.node.id).toBe('Default');
  });
});
