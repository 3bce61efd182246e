/**
 * The fleet-watch Lambda (functions/fleet-watch.ts) and its EventBridge schedule. Every run judges
 * the fleet of each configured certificate from the node reports in the table and emits the fleet
 * metrics (core/metrics.ts) as EMF in its log, which CloudWatch turns into the metrics the
 * monitoring alarms watch. It only reads: GetItem and Query in the certificates' partitions.
 */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { AcmeHaConfig } from '../core/config/certificate-config.ts';
import { DEFAULT_LAG_GRACE_MINUTES, DEFAULT_SILENT_AFTER_MINUTES } from '../core/fleet/fleet-thresholds.ts';
import type { ResourceNames } from '../core/resource-layout.ts';
import { CATALOG_KEY, CERTIFICATE_PK_PREFIX, NODE_PK_PREFIX } from '../core/table-keys.ts';
import { acmeHaFunction } from './node-function.ts';
import { assertNoProblems } from './props-error.ts';

/** Every five minutes: an alarm period of 15 minutes sees three runs. */
export const DEFAULT_FLEET_WATCH_SCHEDULE = events.Schedule.rate(Duration.minutes(5));

/** The configuration file beside the function's code (read by functions/commons/runtime.ts). */
export const FLEET_WATCH_CONFIG_FILE = 'acme-ha-config.json';

export interface FleetWatchProps {
  readonly names: ResourceNames;
  /** The validated configuration: certificates, and the nodes and DMZ instances that should hold each. */
  readonly config: AcmeHaConfig;
  readonly key: kms.IKey;
  readonly table: dynamodb.ITable;
  /**
   * When it runs.
   * @default DEFAULT_FLEET_WATCH_SCHEDULE (every 5 minutes)
   */
  readonly schedule?: events.Schedule;
  /**
   * A node that has not reported for this long is silent (`node_silent` = 1).
   * @default Duration.minutes(35) - two reconcile intervals of the agent (15 min) plus 5 minutes
   */
  readonly silentAfter?: Duration;
  /**
   * How long a node may lag behind the current revision before its log line calls it a problem (the
   * lag alarm has its own evaluation periods, see Monitoring).
   * @default Duration.hours(2)
   */
  readonly lagGracePeriod?: Duration;
  /**
   * Days left below which a served certificate counts as expiring, for every certificate.
   * @default - by profile: classic 14, tlsserver 7, shortlived 1
   */
  readonly expiryDays?: number;
}

/** Every problem with the props, for one error (AcmeHa checks them up front too). */
export function fleetWatchProblems(props: Pick<FleetWatchProps, 'silentAfter'>): string[] {
  const minutes = props.silentAfter?.toMinutes({ integral: false });
  if (minutes !== undefined && (minutes < 5 || minutes > 7 * 24 * 60 || !Number.isInteger(minutes)))
    return [`silentAfter must be whole minutes from 5 minutes to 7 days, got ${minutes} min`];
  return [];
}

export class FleetWatch extends Construct {
  readonly function: lambda.Function;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: FleetWatchProps) {
    super(scope, id);
    assertNoProblems('FleetWatch', fleetWatchProblems(props));
    const { names, config, key, table } = props;
    const stack = Stack.of(this);
    const minutes = (d: Duration | undefined, fallback: number) =>
      String(d ? Math.round(d.toMinutes({ integral: false })) : fallback);

    const { function: fn, role } = acmeHaFunction(this, 'Function', {
      entry: 'fleet-watch',
      description: 'acme-ha: judges every node from its reports and emits fleet metrics (EMF) for the alarms',
      functionName: `${names.prefix}-fleet-watch`,
      memorySize: 256,
      timeout: Duration.minutes(1),
      environment: {
        ACME_HA_TABLE: table.tableName,
        ACME_HA_CONFIG_FILE: FLEET_WATCH_CONFIG_FILE,
        ACME_HA_SILENT_AFTER_MINUTES: minutes(props.silentAfter, DEFAULT_SILENT_AFTER_MINUTES),
        ACME_HA_LAG_GRACE_MINUTES: minutes(props.lagGracePeriod, DEFAULT_LAG_GRACE_MINUTES),
        ...(props.expiryDays !== undefined ? { ACME_HA_EXPIRY_DAYS: String(props.expiryDays) } : {}),
      },
      codeFiles: { [FLEET_WATCH_CONFIG_FILE]: JSON.stringify(config) },
    });
    this.function = fn;
    // A failed run is simply the next run's job: retrying would only emit the same figures late.
    fn.configureAsyncInvoke({ retryAttempts: 0 });

    // Read-only, inside certificates' partitions (state, revisions, rollouts and node reports), the
    // catalog and the nodes' heartbeats. Every certificate's, not only the configured ones': a
    // retired certificate is watched while nodes still hold it, and the configuration no longer
    // names it.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadFleet',
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': [`${CERTIFICATE_PK_PREFIX}*`, CATALOG_KEY.pk, `${NODE_PK_PREFIX}*`],
          },
        },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'KeyThroughDynamoDb',
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com` } },
      }),
    );

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'acme-ha: fleet watch (node reports to CloudWatch metrics)',
      schedule: props.schedule ?? DEFAULT_FLEET_WATCH_SCHEDULE,
      targets: [new targets.LambdaFunction(fn, { event: events.RuleTargetInput.fromObject({}) })],
    });

    new CfnOutput(this, 'FleetWatchFunctionName', { value: fn.functionName });
  }
}
