/**
 * The configuration drives the fleet: a test configuration with other nodes, a DMZ pusher outside
 * the certificate's groups, secrets in Secrets Manager and SSM, and IAM Roles Anywhere.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificatesOfNode } from '../../cdk/fleet.ts';
import { parseConfig } from '../../core/config/parse-config.ts';
import { tempDir } from '../support/temp-dir.ts';
import { identityStatements, wildcardViolations } from './support/iam.ts';
import { nagFindings } from './support/nag.ts';
import { configWith, type Synthesized, synth } from './support/synth.ts';

const CONFIG = configWith(`nodes:
  - { id: mft-a, groups: [mft] }
  - { id: mft-b, groups: [mft, web] }
  - { id: web-a, groups: [web] }
  - { id: gateway, groups: [edge] }
dmz:
  - { id: dmz-1, url: 'https://dmz-1.internal.example.com:8443', pushedBy: [gateway] }
`);

let fleet: Synthesized;
let template: Template;
let caPem: string;

beforeAll(async () => {
  const dir = await tempDir('acme-ha-cdk-');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'ca.key'),
      '-out',
      join(dir, 'ca.pem'),
      '-subj',
      '/CN=acme-ha nodes CA',
      '-days',
      '2',
    ],
    { stdio: 'ignore' },
  );
  caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  fleet = synth({
    outdir: join(dir, 'out'),
    context: { config: 'fleet.yaml', rolesAnywhereCaPem: 'ca.pem', prefix: 'ha-test' },
    files: { 'fleet.yaml': CONFIG, 'ca.pem': caPem },
  });
  template = fleet.template;
});

const policyOf = (nodeId: string) =>
  identityStatements({ main: template }).filter((s) =>
    s.resource.startsWith(`Fleet${nodeId.replace(/-/g, '')}roleDefaultPolicy`),
  );

describe('config-driven fleet', () => {
  it('creates a queue pair and a subscription per configured node, named with the prefix', () => {
    const config = parseConfig(CONFIG, 'fleet.yaml');
    template.resourceCountIs('AWS::SQS::Queue', config.nodes.length * 2);
    template.resourceCountIs('AWS::SNS::Subscription', config.nodes.length);
    // Each node hears of its groups' certificates and those naming it; a DMZ instance's pushers
    // also of the DMZ instance's (gateway pushes to dmz-1).
    const audience: Record<string, string[]> = {
      'mft-a': ['mft', 'node:mft-a'],
      'mft-b': ['mft', 'web', 'node:mft-b'],
      'web-a': ['web', 'node:web-a'],
      gateway: ['edge', 'node:gateway', 'dmz:dmz-1'],
    };
    for (const node of config.nodes) {
      template.hasResourceProperties('AWS::SQS::Queue', { QueueName: `ha-test-node-${node.id}` });
      template.hasResourceProperties('AWS::SQS::Queue', { QueueName: `ha-test-node-${node.id}-dlq` });
      template.hasResourceProperties('AWS::SNS::Subscription', {
        FilterPolicy: { groups: audience[node.id] },
      });
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'ha-test' });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'ha-test-events' });
  });

  it('gives a node the certificates of its groups, and those it pushes to a DMZ instance', () => {
    const config = parseConfig(CONFIG, 'fleet.yaml');
    const ids = (node: string) => certificatesOfNode(config, node).map((c) => c.id);
    expect(ids('mft-a')).toEqual(['files']);
    expect(ids('mft-b')).toEqual(['files', 'web', 'wild']);
    expect(ids('web-a')).toEqual(['web', 'wild']);
    expect(ids('gateway')).toEqual(['files']);
  });

  it('confines each agent to its own queue, keystore prefixes and table partitions', () => {
    const mftB = policyOf('mft-b');
    expect(mftB.find((s) => s.sid === 'OwnQueue')?.resources).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^Fleetmftbqueue/), 'Arn'] },
    ]);
    const keystores = JSON.stringify(mftB.find((s) => s.sid === 'OwnKeystores')?.resources);
    expect(keystores).toContain('/certificates/files/*');
    expect(keystores).toContain('/certificates/web/*');
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Fleetwebarole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          // In statement order (arrayWith matches a subsequence).
          Match.objectLike({
            Sid: 'KeyThroughServices',
            Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } },
          }),
          Match.objectLike({
            Sid: 'ListOwnKeystores',
            Action: 's3:ListBucket',
            Condition: {
              StringLike: {
                's3:prefix': [
                  'certificates/web/',
                  'certificates/web/*',
                  'certificates/wild/',
                  'certificates/wild/*',
                ],
              },
            },
          }),
          Match.objectLike({
            Sid: 'OwnCertificateItems',
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
            Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CERT#web', 'CERT#wild'] } },
          }),
        ]),
      },
    });
    // No agent may delete items of its certificates, scan, or touch another node's queue.
    for (const node of ['mft-a', 'mft-b', 'web-a', 'gateway']) {
      const statements = policyOf(node);
      const certItems = statements.find((s) => s.sid === 'OwnCertificateItems');
      expect(certItems?.actions).not.toContain('dynamodb:DeleteItem');
      expect(statements.flatMap((s) => s.actions)).not.toContain('dynamodb:Scan');
      const queues = statements.filter((s) => s.actions.some((a) => a.startsWith('sqs:')));
      expect(queues).toHaveLength(1);
    }
  });

  it('lets a node write its own heartbeat, and those of the DMZ instances it pushes to, no other', () => {
    const heartbeats = (node: string) => ({
      Roles: [{ Ref: Match.stringLikeRegexp(`^Fleet${node.replace(/-/g, '')}role`) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'OwnHeartbeats' })]) },
    });
    const condition = (node: string) => {
      const [policy] = Object.values(
        template.findResources('AWS::IAM::Policy', { Properties: heartbeats(node) }),
      );
      return policy?.Properties.PolicyDocument.Statement.find(
        (s: { Sid?: string }) => s.Sid === 'OwnHeartbeats',
      );
    };
    expect(condition('web-a')).toMatchObject({
      Action: 'dynamodb:PutItem',
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['NODE#web-a'] } },
    });
    expect(condition('gateway')).toMatchObject({
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['NODE#gateway', 'NODE#dmz:dmz-1'] },
      },
    });
  });

  it('lets a node assume its role through Roles Anywhere only with a certificate whose CN is its id', () => {
    template.hasResourceProperties('AWS::RolesAnywhere::TrustAnchor', {
      Enabled: true,
      Source: { SourceType: 'CERTIFICATE_BUNDLE', SourceData: { X509CertificateData: caPem.trim() } },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'rolesanywhere.amazonaws.com' },
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
            Condition: {
              ArnEquals: {
                'aws:SourceArn': {
                  'Fn::GetAtt': [Match.stringLikeRegexp('^FleetTrustAnchor'), 'TrustAnchorArn'],
                },
              },
              StringEquals: { 'aws:PrincipalTag/x509Subject/CN': 'gateway' },
            },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::RolesAnywhere::Profile', {
      Name: 'ha-test-agents',
      DurationSeconds: 3600,
      RoleArns: Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Fleetgatewayrole'), 'Arn'] }]),
    });
  });

  it('grants the renewer exactly the secrets and parameters the configuration names', () => {
    const renewer = identityStatements({ main: template }).filter((s) =>
      s.resource.startsWith('RenewerFunctionRole'),
    );
    const secrets = renewer.find((s) => s.sid === 'ConfiguredSecrets');
    expect(secrets?.actions).toEqual(['secretsmanager:GetSecretValue']);
    expect(JSON.stringify(secrets?.resources)).toContain(':secret:acme-ha/files-keystore-??????');
    expect(JSON.stringify(secrets?.resources)).toContain(':secret:acme-ha/zerossl-hmac-??????');
    expect(secrets?.resources).toHaveLength(2);
    const parameters = renewer.find((s) => s.sid === 'ConfiguredParameters');
    expect(parameters?.actions).toEqual(['ssm:GetParameter']);
    expect(JSON.stringify(parameters?.resources)).toContain(':parameter/acme-ha/eab-hmac');
    expect(JSON.stringify(parameters?.resources)).toContain(':parameter/acme-ha/web-keystore');
    // A keystore's separate key password is read like its store password.
    expect(JSON.stringify(parameters?.resources)).toContain(':parameter/acme-ha/web-key');
    expect(parameters?.resources).toHaveLength(3);
  });

  it('lets the renewer change only TXT records of the dns-01 validation names', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^RenewerFunctionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DnsChallengeRecords',
            Action: 'route53:ChangeResourceRecordSets',
            Condition: {
              'ForAllValues:StringEquals': {
                'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
                  'apps.example.com.acme.example.net',
                ],
                'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
              },
            },
          }),
        ]),
      },
    });
  });

  it('keeps least privilege and passes cdk-nag with this configuration too', () => {
    expect(wildcardViolations(identityStatements({ main: template }))).toEqual([]);
    expect(nagFindings(fleet.app)).toEqual([]);
  });
});
