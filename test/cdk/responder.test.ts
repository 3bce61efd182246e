/**
 * The two responder modes the default deployment does not build: an ALB listener rule with a
 * Lambda target group, and Lambda@Edge on a CloudFront behavior (its deployed code inspected here,
 * to prove the table and region travel beside the prebuilt edge code). Plus the mode's up-front
 * validation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_FILE, type FunctionEntryName, functionAssetDir } from '../../cdk/function-bundle.ts';
import { EDGE_SETTINGS_FILE, Responder } from '../../cdk/responder.ts';
import { Store } from '../../cdk/store.ts';
import { resourceNames } from '../../core/resource-layout.ts';
import { tempDir } from '../support/temp-dir.ts';
import { identityStatements, wildcardViolations } from './support/iam.ts';
import { nagFindings } from './support/nag.ts';
import { bareApp, type Synthesized, synth, TEST_ENV } from './support/synth.ts';

const prebuilt = (entry: FunctionEntryName): Buffer =>
  readFileSync(join(functionAssetDir(entry), FUNCTION_FILE));

const LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';

describe('alb mode', () => {
  let alb: Synthesized;
  beforeAll(async () => {
    alb = synth({
      outdir: await tempDir('acme-ha-cdk-'),
      context: {
        responder: 'alb',
        albListenerArn: LISTENER_ARN,
        albPriority: '5',
        albHostHeaders: 'www.example.com',
      },
    });
  });

  it('adds a rule for the challenge path on the given listener, at the given priority', () => {
    alb.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: LISTENER_ARN,
      Priority: 5,
      Conditions: [
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/.well-known/acme-challenge/*'] } },
        { Field: 'host-header', HostHeaderConfig: { Values: ['www.example.com'] } },
      ],
      Actions: [{ Type: 'forward', TargetGroupArn: { Ref: Match.stringLikeRegexp('^ResponderTargets') } }],
    });
  });

  it('forwards to a Lambda target group that the load balancer may invoke', () => {
    alb.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'lambda',
      Targets: [{ Id: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResponderFunction'), 'Arn'] } }],
    });
    alb.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'elasticloadbalancing.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResponderFunction'), 'Arn'] },
    });
    alb.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({ ACME_HA_TABLE: { Ref: Match.stringLikeRegexp('^StoreTable') } }),
      },
      Description: Match.stringLikeRegexp('HTTP-01'),
    });
    alb.template.resourceCountIs('AWS::Lambda::Url', 0);
  });

  it('keeps the logical IDs the stack had before it wrapped AcmeHa', () => {
    const resources = alb.template.toJSON().Resources as Record<string, { Type: string }>;
    expect(resources.ResponderFunctionF0C76E50?.Type).toBe('AWS::Lambda::Function');
    expect(resources.ResponderTargetsD6DED52F?.Type).toBe('AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(resources.ResponderChallengeRule52408FF9?.Type).toBe('AWS::ElasticLoadBalancingV2::ListenerRule');
  });

  it('lets the responder read tokens only, and passes cdk-nag', () => {
    const responder = identityStatements({ main: alb.template }).filter((s) =>
      s.resource.startsWith('ResponderFunctionRole'),
    );
    expect(responder.flatMap((s) => s.actions).sort()).toEqual(
      ['dynamodb:GetItem', 'kms:Decrypt', 'logs:CreateLogStream', 'logs:PutLogEvents'].sort(),
    );
    expect(wildcardViolations(identityStatements({ main: alb.template }))).toEqual([]);
    expect(nagFindings(alb.app)).toEqual([]);
  });
});

describe('cloudfront mode', () => {
  let edge: Synthesized;
  let edgeTemplate: Template;
  let outdir: string;
  beforeAll(async () => {
    outdir = await tempDir('acme-ha-cdk-');
    edge = synth({
      outdir,
      env: TEST_ENV,
      context: { responder: 'cloudfront', cloudfrontOriginDomainName: 'origin.example.com' },
    });
    const edgeStack = edge.app.node.children.find((c) => c instanceof Stack && c.region === 'us-east-1');
    if (!(edgeStack instanceof Stack)) throw new Error('no us-east-1 stack');
    edgeTemplate = Template.fromStack(edgeStack);
  });

  it('puts the edge function in us-east-1: Node 24, x86_64 (Lambda@Edge has no arm64), no environment', () => {
    edgeTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['x86_64'],
      Handler: 'index.handler',
      Environment: Match.absent(),
    });
    edgeTemplate.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: Match.arrayWith(['edgelambda.amazonaws.com']) } }),
        ]),
      },
    });
  });

  it('deploys the prebuilt edge code with the table name and its home region in a file beside it', () => {
    const fn = Object.values(edgeTemplate.findResources('AWS::Lambda::Function'))[0] as {
      Metadata?: Record<string, string>;
    };
    const assetPath = fn.Metadata?.['aws:asset:path'];
    expect(assetPath).toBeTruthy();
    const code = join(outdir, String(assetPath));
    expect(readFileSync(join(code, FUNCTION_FILE)).equals(prebuilt('respond-edge'))).toBe(true);
    expect(JSON.parse(readFileSync(join(code, EDGE_SETTINGS_FILE), 'utf8'))).toEqual({
      table: 'acme-ha',
      region: 'eu-west-1',
    });
  });

  it('keeps the logical IDs (and the edge stack name) the stacks had before AcmeHa', () => {
    expect(edgeTemplate.toJSON().Resources.EdgeFunction71EFB7B6?.Type).toBe('AWS::Lambda::Function');
    expect(edge.template.toJSON().Resources.ResponderDistribution230B79DB?.Type).toBe(
      'AWS::CloudFront::Distribution',
    );
    expect(edge.template.toJSON().Resources.ResponderEdgeFunctionArnReaderA4F78EE7?.Type).toBe(
      'Custom::CrossRegionStringParameterReader',
    );
    expect(
      edge.app.node.tryFindChild('edge-lambda-stack-c8c2e99150f548254763ad0a10259c0053c5e87ba3'),
    ).toBeDefined();
  });

  it('lets the edge role read tokens from the home-region table, with the key named by alias', () => {
    edgeTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'dynamodb:GetItem',
            Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/acme-ha',
          }),
          Match.objectLike({
            Action: 'kms:Decrypt',
            Condition: {
              'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/acme-ha' },
              StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' },
            },
          }),
        ]),
      },
    });
  });

  it('attaches it as origin-request on an uncached challenge behavior of the new distribution', () => {
    edge.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        CacheBehaviors: [
          Match.objectLike({
            PathPattern: '/.well-known/acme-challenge/*',
            ViewerProtocolPolicy: 'allow-all',
            CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
            LambdaFunctionAssociations: [
              { EventType: 'origin-request', LambdaFunctionARN: Match.anyValue() },
            ],
          }),
        ],
      }),
    });
  });

  it('has no * grants in either stack and passes cdk-nag (acknowledgements for Lambda@Edge limits)', () => {
    expect(wildcardViolations(identityStatements({ main: edge.template, edge: edgeTemplate }))).toEqual([]);
    expect(nagFindings(edge.app)).toEqual([]);
  });

  it('adds the challenge behavior to a distribution of the same app when one is given', () => {
    const app = bareApp();
    const stack = new Stack(app, 'Site', { env: TEST_ENV });
    const origin = new origins.HttpOrigin('origin.example.com');
    const distribution = new cloudfront.Distribution(stack, 'Site', { defaultBehavior: { origin } });
    const store = new Store(stack, 'Store', { names: resourceNames() });
    new Responder(stack, 'Responder', {
      names: resourceNames(),
      table: store.table,
      key: store.key,
      keyAlias: store.keyAlias,
      mode: { mode: 'cloudfront', distribution, origin },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CacheBehaviors: [Match.objectLike({ PathPattern: '/.well-known/acme-challenge/*' })],
      }),
    });
  });
});

describe('mode validation', () => {
  const responderIn = (stack: Stack, mode: ConstructorParameters<typeof Responder>[2]['mode']) => {
    const store = new Store(stack, 'Store', { names: resourceNames() });
    return new Responder(stack, 'Responder', {
      names: resourceNames(),
      table: store.table,
      key: store.key,
      keyAlias: store.keyAlias,
      ...(mode ? { mode } : {}),
    });
  };

  it('reports every problem of an ALB mode at once', () => {
    expect(() =>
      responderIn(new Stack(bareApp(), 'S'), {
        mode: 'alb',
        listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1',
        priority: 0,
        hostHeaders: ['a', 'b', 'c', 'd', 'e'],
      }),
    ).toThrow(/Responder: 3 problems:[\s\S]*not an ALB listener ARN[\s\S]*priority[\s\S]*hostHeaders/);
  });

  it('reports conflicting CloudFront settings and a stack without env together', () => {
    const stack = new Stack(bareApp(), 'S');
    const origin = new origins.HttpOrigin('origin.example.com');
    const distribution = new cloudfront.Distribution(stack, 'D', { defaultBehavior: { origin } });
    expect(() =>
      responderIn(stack, { mode: 'cloudfront', distribution, originDomainName: 'x.example.com' }),
    ).toThrow(/3 problems:[\s\S]*not both[\s\S]*needs origin[\s\S]*stack env/);
  });
});
