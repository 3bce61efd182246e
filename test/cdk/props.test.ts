/**
 * Each construct on its own (one `new` with only the required props), every props problem reported
 * in one error, context and configuration mistakes as one list, and the IAM rule checker biting.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { readContext } from '../../cdk/build-app.ts';
import { Fleet } from '../../cdk/fleet.ts';
import { Monitoring } from '../../cdk/monitoring.ts';
import { PropsError } from '../../cdk/props-error.ts';
import { Renewer } from '../../cdk/renewer.ts';
import { Store } from '../../cdk/store.ts';
import { ConfigError, parseConfig } from '../../core/config/parse-config.ts';
import { resourceNames } from '../../core/resource-layout.ts';
import { tempDir } from '../support/temp-dir.ts';
import { identityStatements, wildcardViolations } from './support/iam.ts';
import { bareApp, configWith, synth } from './support/synth.ts';

const names = resourceNames('unit');
const config = parseConfig(
  configWith(`nodes:
  - { id: n1, groups: [mft, web] }
dmz:
  - { id: dmz-1, url: 'https://dmz-1.example.com', pushedBy: [n1] }
`),
  'test.yaml',
);

describe('each construct alone', () => {
  it('Store, Fleet, Renewer and Monitoring synthesize from their required props only', () => {
    const stack = new Stack(bareApp(), 'Alone');
    const store = new Store(stack, 'Store', { names });
    const fleet = new Fleet(stack, 'Fleet', {
      names,
      config,
      key: store.key,
      bucket: store.bucket,
      table: store.table,
    });
    const renewer = new Renewer(stack, 'Renewer', {
      names,
      config,
      key: store.key,
      bucket: store.bucket,
      table: store.table,
      topic: fleet.topic,
    });
    const [node] = fleet.nodes;
    if (!node) throw new Error('the fleet has no node');
    new Monitoring(stack, 'Monitoring', {
      prefix: names.prefix,
      renewer: renewer.function,
      certificates: config.certificates,
      deadLetterQueues: { n1: node.deadLetterQueue },
      key: store.key,
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    // Without Roles Anywhere or EC2, the account may hand the role to its own identities.
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: {
              AWS: {
                'Fn::Join': [
                  '',
                  ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root'],
                ],
              },
            },
          },
        ],
      },
    });
  });
});

describe('all problems in one error', () => {
  it('Store', () => {
    const stack = new Stack(bareApp(), 'S');
    expect(
      () => new Store(stack, 'Store', { names, noncurrentVersionDays: 0, bucketName: 'No_Such' }),
    ).toThrow(/Store: 2 problems:\n {2}- noncurrentVersionDays[\s\S]*\n {2}- bucketName/);
  });

  it('Fleet', () => {
    const stack = new Stack(bareApp(), 'S');
    const store = new Store(stack, 'Store', { names });
    expect(
      () =>
        new Fleet(stack, 'Fleet', {
          names,
          config: { ...config, nodes: [] },
          key: store.key,
          bucket: store.bucket,
          table: store.table,
          rolesAnywhere: { caCertificatePem: 'not a pem', sessionDuration: Duration.minutes(5) },
        }),
    ).toThrow(/Fleet: 3 problems:[\s\S]*PEM[\s\S]*sessionDuration[\s\S]*no nodes/);
  });

  it('Renewer', () => {
    const stack = new Stack(bareApp(), 'S');
    const store = new Store(stack, 'Store', { names });
    const fleet = new Fleet(stack, 'Fleet', {
      names,
      config,
      key: store.key,
      bucket: store.bucket,
      table: store.table,
    });
    const [, web] = config.certificates;
    if (!web) throw new Error('the test configuration has no second certificate');
    const huge = {
      ...config,
      certificates: Array.from({ length: 40 }, (_, i) => ({ ...web, id: `site-${i}` })),
    };
    const props = {
      names,
      config: huge,
      key: store.key,
      bucket: store.bucket,
      table: store.table,
      topic: fleet.topic,
    };
    expect(
      () =>
        new Renewer(stack, 'Renewer', {
          ...props,
          memorySize: 128,
          timeout: Duration.minutes(1),
          functionName: 'has spaces',
        }),
    ).toThrow(/Renewer: 3 problems:[\s\S]*functionName[\s\S]*memorySize[\s\S]*timeout/);
    // The configuration travels beside the code, not in the 4 KB environment: its size is no problem.
    expect(() => new Renewer(stack, 'Large', { ...props, functionName: 'large' })).not.toThrow();
  });

  it('Monitoring', () => {
    const stack = new Stack(bareApp(), 'S');
    const store = new Store(stack, 'Store', { names });
    const fleet = new Fleet(stack, 'Fleet', {
      names,
      config,
      key: store.key,
      bucket: store.bucket,
      table: store.table,
    });
    const renewer = new Renewer(stack, 'Renewer', {
      names,
      config,
      key: store.key,
      bucket: store.bucket,
      table: store.table,
      topic: fleet.topic,
    });
    expect(
      () =>
        new Monitoring(stack, 'Monitoring', {
          prefix: 'unit',
          renewer: renewer.function,
          certificates: [],
          deadLetterQueues: {},
          key: store.key,
          alarmEmail: 'nobody',
          expiryDays: 0,
          lagGracePeriod: Duration.minutes(1),
        }),
    ).toThrow(/Monitoring: 4 problems/);
  });
});

describe('app inputs', () => {
  it('lists every context problem in one error', () => {
    const context: Record<string, unknown> = {
      responder: 'alb',
      renewalSchedule: 'every day',
      cloudfrontOriginDomainName: 'x.example.com',
      ec2InstanceProfiles: 'yes',
    };
    try {
      readContext((key) => context[key]);
      expect.fail('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(PropsError);
      const message = (error as PropsError).message;
      for (const key of [
        'albListenerArn',
        'renewalSchedule',
        'cloudfrontOriginDomainName',
        'ec2InstanceProfiles',
      ])
        expect(message).toContain(key);
    }
  });

  it('refuses a bad configuration file with its own list of problems, before building anything', async () => {
    const outdir = await tempDir('acme-ha-cdk-');
    expect(() =>
      synth({
        outdir,
        context: { config: 'bad.yaml' },
        files: {
          'bad.yaml': 'version: 1\ncertificates:\n  - id: Bad_Id\n    domains: []\n    keystores: []\n',
        },
      }),
    ).toThrow(ConfigError);
  });

  it('takes the renewal schedule from the context', async () => {
    const { template } = synth({
      outdir: await tempDir('acme-ha-cdk-'),
      context: { renewalSchedule: 'rate(6 hours)' },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(6 hours)' });
  });
});

describe('the IAM rule checker', () => {
  it('flags * actions and * resources, but accepts * for actions without resource-level permissions', () => {
    const stack = new Stack(bareApp(), 'S');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:ReEncrypt*'], resources: ['arn:aws:kms:eu-west-1:1:key/k'] }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'] }));
    const violations = wildcardViolations(identityStatements({ s: Template.fromStack(stack) }));
    expect(violations).toHaveLength(2);
    expect(violations.join('\n')).toMatch(/action kms:ReEncrypt\*[\s\S]*Resource \* for s3:GetObject/);
  });
});
