/**
 * The HTTP-01 challenge responder, in one of three modes:
 * - `alb`: a rule on an existing ALB listener sends `/.well-known/acme-challenge/*` to a Lambda
 *   target group (functions/respond-alb.ts);
 * - `cloudfront`: a Lambda@Edge origin-request function (functions/respond-edge.ts) on a behavior
 *   for the challenge path, of a distribution of this app or of a new one;
 * - `url`: a Lambda function URL (functions/respond-url.ts) that node agents or load balancers
 *   redirect challenge requests to.
 * Every mode reads the token from the table with one GetItem; nothing else.
 */

import { CfnOutput, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as elbv2targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { CHALLENGE_PREFIX } from '../core/challenge/respond.ts';
import type { ResourceNames } from '../core/resource-layout.ts';
import { challengeKey } from '../core/table-keys.ts';
import { functionCode } from './function-code.ts';
import { acmeHaFunction, FUNCTION_HANDLER, FUNCTION_RUNTIME } from './node-function.ts';
import { assertNoProblems } from './props-error.ts';

/** The path every responder mode claims. */
export const CHALLENGE_PATH_PATTERN = `${CHALLENGE_PREFIX}*`;

/**
 * The file beside the edge function's code that names its table and the table's region:
 * Lambda@Edge has no environment variables. functions/respond-edge.ts reads it by this name.
 */
export const EDGE_SETTINGS_FILE = 'acme-ha-edge.json';

/** The contents of EDGE_SETTINGS_FILE. */
export interface EdgeSettings {
  readonly table: string;
  readonly region: string;
}

export interface AlbResponderMode {
  readonly mode: 'alb';
  /** ARN of an existing ALB listener (normally the HTTP :80 one that the CA reaches). */
  readonly listenerArn: string;
  /**
   * Rule priority on that listener; lower wins. Pick one below any HTTP→HTTPS redirect rule so
   * challenges are answered on port 80 (a redirecting default action is always evaluated last).
   * @default 1
   */
  readonly priority?: number;
  /**
   * Restrict the rule to these host names.
   * @default - any host
   */
  readonly hostHeaders?: readonly string[];
}

export interface CloudFrontResponderMode {
  readonly mode: 'cloudfront';
  /**
   * A distribution of this CDK app to add the challenge behavior to (together with `origin`).
   * @default - see `originDomainName`
   */
  readonly distribution?: cloudfront.Distribution;
  /**
   * The origin object for the challenge behavior of `distribution` (the edge function answers
   * before the origin is contacted; CloudFront still needs one).
   * @default - required with `distribution`
   */
  readonly origin?: cloudfront.IOrigin;
  /**
   * Create a new distribution whose default behavior forwards to this origin (HTTPS).
   * @default - no new distribution; without `distribution` either, only the edge function is
   * created and its version ARN is an output, to attach to a distribution managed elsewhere
   */
  readonly originDomainName?: string;
}

export interface UrlResponderMode {
  readonly mode: 'url';
}

export type ResponderMode = AlbResponderMode | CloudFrontResponderMode | UrlResponderMode;

export interface ResponderProps {
  readonly names: ResourceNames;
  readonly table: dynamodb.ITable;
  readonly key: kms.IKey;
  /** Alias of `key`; the edge function lives in us-east-1 and can only name the key by alias. */
  readonly keyAlias: string;
  /**
   * Which responder to build.
   * @default { mode: 'url' }
   */
  readonly mode?: ResponderMode;
}

const LISTENER_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/[^/]+\/[^/]+\/[^/]+$/;

export class Responder extends Construct {
  /** The function that answers challenges (in us-east-1 for Lambda@Edge). */
  readonly function: lambda.IFunction;
  readonly mode: ResponderMode['mode'];
  /** The function URL, in `url` mode. */
  readonly url?: lambda.FunctionUrl;
  /** The distribution carrying the challenge behavior, in `cloudfront` mode when there is one. */
  readonly distribution?: cloudfront.Distribution;
  /** The published version of the edge function, to associate with a behavior, in `cloudfront` mode. */
  readonly edgeVersion?: lambda.IVersion;

  constructor(scope: Construct, id: string, props: ResponderProps) {
    super(scope, id);
    const mode = props.mode ?? { mode: 'url' };
    this.mode = mode.mode;
    assertNoProblems('Responder', responderProblems(mode, Stack.of(this)));

    switch (mode.mode) {
      case 'alb':
        this.function = this.albResponder(mode, props);
        break;
      case 'cloudfront': {
        const { edge, distribution } = this.edgeResponder(mode, props);
        this.function = edge;
        this.edgeVersion = edge.currentVersion;
        if (distribution) this.distribution = distribution;
        break;
      }
      case 'url': {
        const { fn, url } = this.urlResponder(props);
        this.function = fn;
        this.url = url;
        break;
      }
    }
  }

  private regionalFunction(entry: 'respond-alb' | 'respond-url', props: ResponderProps): lambda.IFunction {
    const { function: fn, role } = acmeHaFunction(this, 'Function', {
      entry,
      description: 'acme-ha: answers HTTP-01 challenges from the table',
      environment: { ACME_HA_TABLE: props.table.tableName },
    });
    grantTokenRead(role, props.table.tableArn, props.key.keyArn, Stack.of(this).region);
    return fn;
  }

  private albResponder(mode: AlbResponderMode, props: ResponderProps): lambda.IFunction {
    const fn = this.regionalFunction('respond-alb', props);
    const targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      targetType: elbv2.TargetType.LAMBDA,
      targets: [new elbv2targets.LambdaTarget(fn)],
    });
    // The listener belongs to the operator's load balancer: the rule is added by ARN (an imported
    // L2 listener would also demand its security group, which a Lambda target never touches).
    new elbv2.CfnListenerRule(this, 'ChallengeRule', {
      listenerArn: mode.listenerArn,
      priority: mode.priority ?? 1,
      conditions: [
        { field: 'path-pattern', pathPatternConfig: { values: [CHALLENGE_PATH_PATTERN] } },
        ...(mode.hostHeaders && mode.hostHeaders.length > 0
          ? [{ field: 'host-header', hostHeaderConfig: { values: [...mode.hostHeaders] } }]
          : []),
      ],
      actions: [{ type: 'forward', targetGroupArn: targetGroup.targetGroupArn }],
    });
    return fn;
  }

  private urlResponder(props: ResponderProps): { fn: lambda.IFunction; url: lambda.FunctionUrl } {
    const fn = this.regionalFunction('respond-url', props);
    // The CA calls anonymously; the function answers only exact, unexpired tokens.
    const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    new CfnOutput(this, 'ResponderUrl', {
      value: url.url,
      description: 'Redirect /.well-known/acme-challenge/* here (agent responder mode "redirect")',
    });
    return { fn, url };
  }

  private edgeResponder(
    mode: CloudFrontResponderMode,
    props: ResponderProps,
  ): { edge: cloudfront.experimental.EdgeFunction; distribution?: cloudfront.Distribution } {
    const stack = Stack.of(this);
    const region = stack.region;
    const account = stack.account;
    const tableName = props.names.table.name;
    const edge = new cloudfront.experimental.EdgeFunction(this, 'EdgeFunction', {
      description: 'acme-ha: answers HTTP-01 challenges at the edge from the table in its home region',
      runtime: FUNCTION_RUNTIME,
      // Lambda@Edge runs x86_64 only.
      architecture: lambda.Architecture.X86_64,
      handler: FUNCTION_HANDLER,
      memorySize: 128,
      timeout: Duration.seconds(5),
      code: functionCode(this, 'EdgeFunction', 'respond-edge', {
        [EDGE_SETTINGS_FILE]: JSON.stringify({ table: tableName, region } satisfies EdgeSettings),
      }),
    });
    // Cross-region references do not exist, so the edge role names the table by its known ARN
    // and the key by its alias (the key id is only known once the home stack is deployed).
    edge.addToRolePolicy(readTokens(`arn:aws:dynamodb:${region}:${account}:table/${tableName}`));
    edge.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DecryptTokensByAlias',
        actions: ['kms:Decrypt'],
        resources: [`arn:aws:kms:${region}:${account}:key/*`],
        conditions: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': props.keyAlias },
          StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` },
        },
      }),
    );
    Validations.of(edge.lambda).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'Lambda@Edge writes its logs to a log group in whichever region serves the request; the basic execution policy is the documented minimum for that.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:aws:kms:${region}:${account}:key/*]`,
        reason:
          'The key lives in the home region and its id is unknown to the us-east-1 stack; the statement is narrowed to the acme-ha key alias (kms:ResourceAliases) and to DynamoDB (kms:ViaService).',
      },
    );

    const behavior: cloudfront.AddBehaviorOptions = {
      // The CA speaks plain HTTP on port 80; the token is public by design.
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.ALLOW_ALL,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      edgeLambdas: [
        { functionVersion: edge.currentVersion, eventType: cloudfront.LambdaEdgeEventType.ORIGIN_REQUEST },
      ],
    };
    let distribution: cloudfront.Distribution | undefined;
    if (mode.distribution && mode.origin) {
      mode.distribution.addBehavior(CHALLENGE_PATH_PATTERN, mode.origin, behavior);
      distribution = mode.distribution;
    } else if (mode.originDomainName) {
      const origin = new origins.HttpOrigin(mode.originDomainName, {
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      });
      distribution = new cloudfront.Distribution(this, 'Distribution', {
        comment: `acme-ha (${props.names.prefix}) challenge responder in front of ${mode.originDomainName}`,
        defaultBehavior: { origin, viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS },
        additionalBehaviors: { [CHALLENGE_PATH_PATTERN]: { origin, ...behavior } },
        minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      });
      Validations.of(distribution).acknowledge(
        {
          id: 'AwsSolutions-CFR1',
          reason:
            'Let’s Encrypt validates from several regions worldwide; a geo restriction would fail validation.',
        },
        {
          id: 'AwsSolutions-CFR2',
          reason:
            'A WAF web ACL is the operator’s choice for their site; the challenge path itself only answers exact tokens.',
        },
        {
          id: 'AwsSolutions-CFR3',
          reason:
            'Standard CloudFront logs need an ACL-enabled bucket; the operator enables logging on their production distribution.',
        },
        {
          id: 'AwsSolutions-CFR4',
          reason:
            'Without aliases the distribution uses the default *.cloudfront.net certificate, which cannot pin a minimum TLS version; attach your ACM certificate to enforce TLS 1.2.',
        },
      );
    }
    if (distribution) {
      new CfnOutput(this, 'DistributionDomainName', { value: distribution.distributionDomainName });
    }
    new CfnOutput(this, 'EdgeFunctionVersionArn', {
      value: edge.edgeArn,
      description:
        'Attach as origin-request on a behavior for /.well-known/acme-challenge/* of your distribution',
    });
    // The cross-region ARN reader is a CDK-internal singleton Lambda in this stack.
    const reader = stack.node.tryFindChild('Custom::CrossRegionStringParameterReaderCustomResourceProvider');
    if (reader) {
      Validations.of(reader).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: 'CDK-internal provider that reads the edge function version ARN from SSM in us-east-1.',
        },
        {
          id: 'AwsSolutions-L1',
          reason: 'CDK-internal provider; its runtime is chosen by aws-cdk-lib and updated with it.',
        },
      );
    }
    return distribution ? { edge, distribution } : { edge };
  }
}

/** All problems with a mode's settings, for one error (also checked up front by AcmeHa). */
export function responderProblems(mode: ResponderMode, stack: Stack): string[] {
  const problems: string[] = [];
  if (mode.mode === 'alb') {
    if (!Token.isUnresolved(mode.listenerArn) && !LISTENER_ARN.test(mode.listenerArn))
      problems.push(`listenerArn ${JSON.stringify(mode.listenerArn)} is not an ALB listener ARN`);
    const priority = mode.priority ?? 1;
    if (!Number.isInteger(priority) || priority < 1 || priority > 50_000)
      problems.push(`priority must be an integer from 1 to 50000, got ${priority}`);
    if (mode.hostHeaders && mode.hostHeaders.length > 4)
      problems.push(
        `hostHeaders: an ALB rule takes at most 4 host names beside the path, got ${mode.hostHeaders.length}`,
      );
  }
  if (mode.mode === 'cloudfront') {
    if (mode.distribution && mode.originDomainName)
      problems.push('give either distribution (an existing one) or originDomainName (a new one), not both');
    if (mode.distribution && !mode.origin)
      problems.push('distribution needs origin for the challenge behavior');
    if (mode.origin && !mode.distribution) problems.push('origin is only used together with distribution');
    if (Token.isUnresolved(stack.region) || Token.isUnresolved(stack.account))
      problems.push(
        'cloudfront mode needs the stack env (account and region) set: the edge function is deployed with the table region written beside its code',
      );
  }
  return problems;
}

/**
 * GetItem on challenge items only: a responder faces the internet, so it may not read the state,
 * revision or node items that share the table.
 */
function readTokens(tableArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadTokens',
    actions: ['dynamodb:GetItem'],
    resources: [tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [challengeKey('*').pk] } },
  });
}

/** The GetItem and the key use a token read needs; nothing else. */
function grantTokenRead(role: iam.IRole, tableArn: string, keyArn: string, region: string): void {
  role.addToPrincipalPolicy(readTokens(tableArn));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'DecryptTokens',
      actions: ['kms:Decrypt'],
      resources: [keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
    }),
  );
}
