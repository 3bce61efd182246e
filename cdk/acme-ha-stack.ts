/**
 * The whole acme-ha control plane in one stack: store, fleet (topic, queues, agent roles),
 * renewer, challenge responder and monitoring, all named from core/resource-layout.ts.
 */
import { CfnOutput, type Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { AcmeHaConfig } from '../core/config/certificate-config.ts';
import { DEFAULT_PREFIX, resourceNames } from '../core/resource-layout.ts';
import { Fleet, type RolesAnywhereProps } from './fleet.ts';
import { Monitoring } from './monitoring.ts';
import { assertNoProblems } from './props-error.ts';
import { Renewer } from './renewer.ts';
import { Responder, type ResponderMode } from './responder.ts';
import { Store } from './store.ts';

export interface AcmeHaStackProps extends StackProps {
  /** The validated certificate configuration (parseConfig); nodes and certificates drive the stack. */
  readonly config: AcmeHaConfig;
  /**
   * Prefix of every resource name (table, topic, queues, bucket, functions).
   * @default 'acme-ha'
   */
  readonly prefix?: string;
  /**
   * How HTTP-01 challenges reach the table.
   * @default { mode: 'url' }
   */
  readonly responder?: ResponderMode;
  /**
   * When scheduled renewal runs start.
   * @default twice a day (Renewer's DEFAULT_RENEWAL_SCHEDULE)
   */
  readonly renewalSchedule?: events.Schedule;
  /**
   * IAM Roles Anywhere for agents on premises.
   * @default - none
   */
  readonly rolesAnywhere?: RolesAnywhereProps;
  /**
   * An EC2 instance profile per node.
   * @default false
   */
  readonly ec2InstanceProfiles?: boolean;
  /**
   * More principals allowed to assume the agent roles.
   * @default - see Fleet
   */
  readonly agentPrincipals?: readonly iam.IPrincipal[];
  /**
   * Mail alarms here.
   * @default - no subscription; subscribe to the AlarmTopicArn output yourself
   */
  readonly alarmEmail?: string;
  /**
   * Expiry alarm threshold in days for every certificate.
   * @default - by profile (Monitoring)
   */
  readonly expiryAlarmDays?: number;
  /**
   * Alarm when nodes lag for longer than this.
   * @default Duration.hours(2)
   */
  readonly lagGracePeriod?: Duration;
  /**
   * Removal policy of key, bucket and table.
   * @default RemovalPolicy.RETAIN
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
}

export class AcmeHaStack extends Stack {
  readonly store: Store;
  readonly fleet: Fleet;
  readonly renewer: Renewer;
  readonly responder: Responder;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: AcmeHaStackProps) {
    super(scope, id, {
      description: 'acme-ha: ACME certificates for HA clusters (renewer, challenge responder, fleet events)',
      ...props,
    });
    const prefix = props.prefix ?? DEFAULT_PREFIX;
    const problems: string[] = [];
    try {
      resourceNames(prefix);
    } catch (error) {
      problems.push((error as Error).message);
    }
    assertNoProblems('AcmeHaStack', problems);
    const names = resourceNames(prefix);
    const { config } = props;

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
    this.monitoring = new Monitoring(this, 'Monitoring', {
      prefix,
      renewer: this.renewer.function,
      certificates: config.certificates,
      ...(config.defaults.profile ? { defaultProfile: config.defaults.profile } : {}),
      deadLetterQueues: Object.fromEntries(this.fleet.nodes.map((n) => [n.id, n.deadLetterQueue])),
      key,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
      ...(props.expiryAlarmDays !== undefined ? { expiryDays: props.expiryAlarmDays } : {}),
      ...(props.lagGracePeriod ? { lagGracePeriod: props.lagGracePeriod } : {}),
    });

    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'KeyArn', { value: key.keyArn });
    new CfnOutput(this, 'TopicArn', { value: this.fleet.topic.topicArn });
  }
}
