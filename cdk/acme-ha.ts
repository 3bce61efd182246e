/**
 * The whole acme-ha control plane as one construct, for any stack of any CDK app: store (key,
 * bucket, table), fleet (topic, a queue pair and a role per node), renewer, challenge responder and
 * monitoring, all named from core/resource-layout.ts. The minimal deployment is one statement:
 *
 *   new AcmeHa(this, 'Certificates', { config });
 *
 * Every props problem is reported at once, in one PropsError, before anything is built. The Lambda
 * code ships prebuilt with the package (cdk/function-code.ts): no bundler and no Docker at synth.
 */
import { type Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rolesanywhere from 'aws-cdk-lib/aws-rolesanywhere';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type AcmeHaConfig, configSchema } from '../core/config/certificate-config.ts';
import { formatPath } from '../core/config/parse-config.ts';
import { DEFAULT_PREFIX, type ResourceNames, resourceNames } from '../core/resource-layout.ts';
import {
  Fleet,
  type FleetNode,
  fleetProblems,
  type RolesAnywhereProps,
  rolesAnywhereProblems,
} from './fleet.ts';
import { FleetWatch, fleetWatchProblems } from './fleet-watch.ts';
import { Monitoring, monitoringProblems } from './monitoring.ts';
import { assertNoProblems } from './props-error.ts';
import { Renewer, secretSourceProblems } from './renewer.ts';
import { Responder, type ResponderMode, responderProblems } from './responder.ts';
import { Store } from './store.ts';

export interface AcmeHaProps {
  /**
   * The certificate configuration: what to order, for which node groups, in which keystores, and
   * the nodes and DMZ instances. Give the result of `parseConfig` (from `acme-ha`); it is validated
   * again here with the same schema, and its problems are listed with the others.
   */
  readonly config: AcmeHaConfig;
  /**
   * Prefix of every resource name (table, topic, queues, bucket, functions, key alias): lower-case
   * letters, digits and `-`, at most 24 characters. Two deployments in one account and region need
   * two prefixes.
   * @default 'acme-ha'
   */
  readonly prefix?: string;
  /**
   * How HTTP-01 challenges reach the table: a Lambda function URL, a rule on an existing ALB
   * listener, or Lambda@Edge on a CloudFront behavior (the stack then needs a concrete env).
   * @default { mode: 'url' }
   */
  readonly responder?: ResponderMode;
  /**
   * When scheduled renewal runs start.
   * @default twice a day, 05:17 and 17:17 UTC
   */
  readonly renewalSchedule?: events.Schedule;
  /**
   * IAM Roles Anywhere for agents on premises: a trust anchor for the CA that issues the nodes'
   * client certificates; a node may assume only the role of its own id (certificate CN).
   * @default - no trust anchor
   */
  readonly rolesAnywhere?: RolesAnywhereProps;
  /**
   * An EC2 instance profile per node, for agents on EC2.
   * @default false
   */
  readonly ec2InstanceProfiles?: boolean;
  /**
   * Further principals allowed to assume every agent role.
   * @default - with neither Roles Anywhere nor EC2 instance profiles, the account itself
   */
  readonly agentPrincipals?: readonly iam.IPrincipal[];
  /**
   * Subscribe this address to the alarm topic (AWS mails a confirmation first).
   * @default - no subscription; subscribe to `alarmTopic` yourself
   */
  readonly alarmEmail?: string;
  /**
   * Alarm when a served certificate has fewer days left than this, for every certificate.
   * @default - by profile: classic 14, tlsserver 7, shortlived 1
   */
  readonly expiryAlarmDays?: number;
  /**
   * Alarm when some node still lags behind the current revision after this long (5 min – 24 h).
   * @default Duration.hours(2)
   */
  readonly lagGracePeriod?: Duration;
  /**
   * A node or DMZ instance that has not reported for this long (or never did, once there is a
   * revision) is silent, and alarms (5 minutes – 7 days, whole minutes).
   * @default Duration.minutes(35) - two reconcile intervals of the agent (15 min) plus 5 minutes
   */
  readonly silentAfter?: Duration;
  /**
   * When the fleet-watch function judges the fleet and emits its metrics.
   * @default every 5 minutes
   */
  readonly fleetWatchSchedule?: events.Schedule;
  /**
   * What happens to the key, the keystore bucket (and its access-log bucket) and the table when the
   * stack is deleted. They hold private keys, the ACME account and the fleet's history.
   * @default RemovalPolicy.RETAIN (and deletion protection on the table)
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
}

export class AcmeHa extends Construct {
  /** The prefix of every resource name. */
  readonly prefix: string;
  /** Resource names and key shapes, shared with the agent and the embedded stack. */
  readonly names: ResourceNames;

  /** The parts, for what the properties below do not reach. */
  readonly store: Store;
  readonly fleet: Fleet;
  readonly renewer: Renewer;
  readonly responder: Responder;
  readonly fleetWatch: FleetWatch;
  readonly monitoring: Monitoring;

  /** The customer-managed key of bucket, table, topics and queues. */
  readonly key: kms.Key;
  /** The key's alias, `alias/<prefix>`. */
  readonly keyAlias: string;
  /** The keystore bucket (agents' `aws.bucket`). */
  readonly bucket: s3.Bucket;
  /** The one state table (agents' `aws.table`). */
  readonly table: dynamodb.Table;
  /** The topic the renewer announces new revisions on; every node's queue subscribes to it. */
  readonly topic: sns.Topic;
  /** Each configured node: its queue (agent's `aws.queueUrl`), dead-letter queue and role. */
  readonly nodes: readonly FleetNode[];
  /** The Roles Anywhere trust anchor and profile, when `rolesAnywhere` is given. */
  readonly trustAnchor?: rolesanywhere.CfnTrustAnchor;
  readonly rolesAnywhereProfile?: rolesanywhere.CfnProfile;

  /** The renew function (`<prefix>-renew`); invoke it with `{"certificateId": "…", "force": true}`. */
  readonly renewerFunction: lambda.Function;
  /** The EventBridge rule of the scheduled runs. */
  readonly renewalRule: events.Rule;

  /** The function that answers HTTP-01 challenges (in us-east-1 in `cloudfront` mode). */
  readonly responderFunction: lambda.IFunction;
  /** The responder's function URL, in `url` mode. */
  readonly responderUrl?: lambda.FunctionUrl;
  /** The edge function's version to associate as origin-request, in `cloudfront` mode. */
  readonly edgeFunctionVersion?: lambda.IVersion;
  /** The distribution carrying the challenge behavior, in `cloudfront` mode when there is one. */
  readonly distribution?: cloudfront.Distribution;

  /** The fleet-watch function (`<prefix>-fleet-watch`): node reports to the metrics the alarms watch. */
  readonly fleetWatchFunction: lambda.Function;
  /** The EventBridge rule that runs it. */
  readonly fleetWatchRule: events.Rule;

  /** Every alarm goes here: subscribe pagers, chat or mail. */
  readonly alarmTopic: sns.Topic;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: AcmeHaProps) {
    super(scope, id);
    const prefix = props.prefix ?? DEFAULT_PREFIX;
    const { names, config } = this.checkProps(prefix, props);
    this.prefix = prefix;
    this.names = names;

    this.store = new Store(this, 'Store', {
      names,
      removalPolicy: props.dataRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const { key, bucket, table } = this.store;
    this.fleet = new Fleet(this, 'Fleet', {
      names,
      config,
      key,
      bucket,
      table,
      ...(props.rolesAnywhere ? { rolesAnywhere: props.rolesAnywhere } : {}),
      ...(props.ec2InstanceProfiles ? { ec2InstanceProfiles: true } : {}),
      ...(props.agentPrincipals ? { agentPrincipals: props.agentPrincipals } : {}),
    });
    this.renewer = new Renewer(this, 'Renewer', {
      names,
      config,
      key,
      bucket,
      table,
      topic: this.fleet.topic,
      ...(props.renewalSchedule ? { schedule: props.renewalSchedule } : {}),
    });
    this.responder = new Responder(this, 'Responder', {
      names,
      table,
      key,
      keyAlias: this.store.keyAlias,
      ...(props.responder ? { mode: props.responder } : {}),
    });
    this.fleetWatch = new FleetWatch(this, 'FleetWatch', {
      names,
      config,
      key,
      table,
      ...(props.fleetWatchSchedule ? { schedule: props.fleetWatchSchedule } : {}),
      ...(props.silentAfter ? { silentAfter: props.silentAfter } : {}),
      ...(props.lagGracePeriod ? { lagGracePeriod: props.lagGracePeriod } : {}),
      ...(props.expiryAlarmDays !== undefined ? { expiryDays: props.expiryAlarmDays } : {}),
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      prefix,
      renewer: this.renewer.function,
      fleetWatch: this.fleetWatch.function,
      certificates: config.certificates,
      ...(config.defaults.profile ? { defaultProfile: config.defaults.profile } : {}),
      deadLetterQueues: Object.fromEntries(this.fleet.nodes.map((n) => [n.id, n.deadLetterQueue])),
      key,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
      ...(props.expiryAlarmDays !== undefined ? { expiryDays: props.expiryAlarmDays } : {}),
      ...(props.lagGracePeriod ? { lagGracePeriod: props.lagGracePeriod } : {}),
    });

    this.key = key;
    this.keyAlias = this.store.keyAlias;
    this.bucket = bucket;
    this.table = table;
    this.topic = this.fleet.topic;
    this.nodes = this.fleet.nodes;
    if (this.fleet.trustAnchor) this.trustAnchor = this.fleet.trustAnchor;
    if (this.fleet.profile) this.rolesAnywhereProfile = this.fleet.profile;
    this.renewerFunction = this.renewer.function;
    this.renewalRule = this.renewer.rule;
    this.responderFunction = this.responder.function;
    if (this.responder.url) this.responderUrl = this.responder.url;
    if (this.responder.edgeVersion) this.edgeFunctionVersion = this.responder.edgeVersion;
    if (this.responder.distribution) this.distribution = this.responder.distribution;
    this.fleetWatchFunction = this.fleetWatch.function;
    this.fleetWatchRule = this.fleetWatch.rule;
    this.alarmTopic = this.monitoring.alarmTopic;
    this.alarms = this.monitoring.alarms;
    this.dashboard = this.monitoring.dashboard;
  }

  /**
   * Every problem of the props and of the parts they configure, in one PropsError, before any
   * resource exists (the parts check again when used on their own).
   */
  private checkProps(prefix: string, props: AcmeHaProps): { names: ResourceNames; config: AcmeHaConfig } {
    const problems: string[] = [];
    let names: ResourceNames | undefined;
    try {
      names = resourceNames(prefix);
    } catch (error) {
      problems.push(`prefix: ${(error as Error).message}`);
    }
    const parsed = configSchema.safeParse(props.config);
    if (!parsed.success)
      problems.push(...parsed.error.issues.map((i) => `config${pathSuffix(i.path)}: ${i.message}`));
    const config = parsed.success ? parsed.data : undefined;
    if (config) problems.push(...secretSourceProblems(config));
    problems.push(
      ...(names && config
        ? fleetProblems({
            names,
            config,
            ...(props.rolesAnywhere ? { rolesAnywhere: props.rolesAnywhere } : {}),
          })
        : rolesAnywhereProblems(props.rolesAnywhere)),
    );
    problems.push(
      ...monitoringProblems(
        {
          ...(config ? { certificates: config.certificates } : {}),
          ...(props.alarmEmail !== undefined ? { alarmEmail: props.alarmEmail } : {}),
          ...(props.expiryAlarmDays !== undefined ? { expiryDays: props.expiryAlarmDays } : {}),
          ...(props.lagGracePeriod ? { lagGracePeriod: props.lagGracePeriod } : {}),
        },
        { expiryDays: 'expiryAlarmDays' },
      ),
    );
    problems.push(...fleetWatchProblems(props));
    problems.push(
      ...responderProblems(props.responder ?? { mode: 'url' }, Stack.of(this)).map((p) => `responder: ${p}`),
    );
    problems.push(...this.prefixCollisions(prefix));
    assertNoProblems('AcmeHa', problems);
    if (!names || !config) throw new Error('unreachable: problems were reported');
    return { names, config };
  }

  /** Another AcmeHa of this app with the same prefix that may deploy to the same account and region. */
  private prefixCollisions(prefix: string): string[] {
    const here = Stack.of(this);
    return this.node.root.node
      .findAll()
      .filter((c): c is AcmeHa => c instanceof AcmeHa && c !== this && c.prefix === prefix)
      .filter((other) => mayShareEnvironment(Stack.of(other), here))
      .map(
        (other) =>
          `prefix: ${JSON.stringify(prefix)} is already used by ${other.node.path} in the same account and region (or an environment-agnostic stack); the table, functions, topic, queues and key alias would collide — give each AcmeHa its own prefix`,
      );
  }
}

/** `.a[0].b` for a zod issue path (empty for the root). */
function pathSuffix(path: readonly PropertyKey[]): string {
  const formatted = formatPath(path);
  return formatted === '' || formatted.startsWith('[') ? formatted : `.${formatted}`;
}

/** Two stacks may deploy to one account and region unless both name theirs and they differ. */
function mayShareEnvironment(a: Stack, b: Stack): boolean {
  const concrete = (s: Stack) => !Token.isUnresolved(s.account) && !Token.isUnresolved(s.region);
  if (!concrete(a) || !concrete(b)) return true;
  return a.account === b.account && a.region === b.region;
}
