/**
 * Alarms and a dashboard for the things an operator must hear about: a renewal that failed, a
 * certificate served close to expiry, nodes lagging behind, failing to install a revision or gone
 * silent, and events no agent could process (a non-empty dead-letter queue). Alarms go to one SNS
 * topic.
 *
 * Every custom metric here is one core/metrics.ts lists, with the code that emits it: the renewer
 * `certificates_*` (dimension `service=renewer`), the fleet-watch function the per-certificate fleet
 * metrics (dimension `CertificateId`; also per `NodeId` for the dashboard). docs/deploy.md has a
 * runbook per alarm; test/cdk/alarm-metrics.test.ts fails if an alarm watches anything else.
 */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CertificateConfig, Profile } from '../core/config/certificate-config.ts';
import { DEFAULT_LAG_GRACE_MINUTES, EXPIRY_DAYS } from '../core/fleet/fleet-thresholds.ts';
import {
  FLEET_DIMENSIONS,
  FLEET_METRICS,
  METRICS_NAMESPACE,
  type MetricDefinition,
  RENEWER_DIMENSIONS,
  RENEWER_METRICS,
} from '../core/metrics.ts';
import { assertNoProblems } from './props-error.ts';

export interface MonitoringProps {
  readonly prefix: string;
  readonly renewer: lambda.IFunction;
  /**
   * The function that emits the fleet metrics (cdk/fleet-watch.ts): its errors alarm, and its
   * invocations are on the dashboard.
   * @default - no alarm on the fleet-watch function itself
   */
  readonly fleetWatch?: lambda.IFunction;
  /** The certificates to watch (expiry, lag, failures). */
  readonly certificates: readonly CertificateConfig[];
  /** Profile of certificates that set none (the configuration's `defaults.profile`). @default 'classic' */
  readonly defaultProfile?: Profile;
  /** Dead-letter queues by node id. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** Encrypts the alarm topic (CloudWatch is allowed to use it for that). */
  readonly key: kms.IKey;
  /**
   * Subscribe this address to the alarm topic (confirmation mail follows).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Alarm when a served certificate has fewer days left than this.
   * @default - by profile: classic 14, tlsserver 7, shortlived 1
   */
  readonly expiryDays?: number;
  /**
   * Alarm when some node still lags behind the current revision after this long (a rollout,
   * canary first, takes minutes).
   * @default Duration.hours(2)
   */
  readonly lagGracePeriod?: Duration;
}

const DEFAULT_LAG_GRACE = Duration.minutes(DEFAULT_LAG_GRACE_MINUTES);

/**
 * Every problem with the props, for one error (AcmeHa checks them up front too, and names
 * `expiryDays` after its own prop through `labels`).
 */
export function monitoringProblems(
  props: Pick<MonitoringProps, 'expiryDays' | 'lagGracePeriod' | 'alarmEmail'> & {
    /** @default - not checked (AcmeHa: the configuration schema asks for at least one) */
    readonly certificates?: MonitoringProps['certificates'];
  },
  labels: { readonly expiryDays?: string } = {},
): string[] {
  const lagGrace = props.lagGracePeriod ?? DEFAULT_LAG_GRACE;
  const problems: string[] = [];
  if (props.expiryDays !== undefined && (!(props.expiryDays > 0) || props.expiryDays > 365))
    problems.push(
      `${labels.expiryDays ?? 'expiryDays'} must be more than 0 and at most 365, got ${props.expiryDays}`,
    );
  if (lagGrace.toMinutes({ integral: false }) < 5 || lagGrace.toHours({ integral: false }) > 24)
    problems.push(
      `lagGracePeriod must be 5 minutes to 24 hours, got ${lagGrace.toMinutes({ integral: false })} min`,
    );
  if (props.alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail))
    problems.push(`alarmEmail ${JSON.stringify(props.alarmEmail)} is not an e-mail address`);
  if (props.certificates?.length === 0) problems.push('no certificates to watch');
  return problems;
}

export class Monitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const lagGrace = props.lagGracePeriod ?? DEFAULT_LAG_GRACE;
    assertNoProblems('Monitoring', monitoringProblems(props));

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `acme-ha (${props.prefix}) alarms`,
      masterKey: props.key,
      enforceSSL: true,
    });
    // CloudWatch publishes to the encrypted topic, so it must be able to use the key for that.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    if (props.alarmEmail)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const renewerMetric = (metric: MetricDefinition) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: metric.name,
        dimensionsMap: { ...RENEWER_DIMENSIONS },
        statistic: metric.statistic,
        period: Duration.hours(1),
      });
    // Per certificate: the minimum or maximum over its nodes, as fleet-watch emits every datapoint
    // under the certificate alone as well as under the certificate and node.
    const fleetMetric = (metric: MetricDefinition, certificateId: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: metric.name,
        dimensionsMap: { [FLEET_DIMENSIONS.certificate]: certificateId },
        statistic: metric.statistic,
        period,
      });

    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, alarmId, alarmProps);
      created.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      created.addOkAction(new actions.SnsAction(this.alarmTopic));
      alarms.push(created);
      return created;
    };

    alarm('RenewalFailed', {
      alarmDescription:
        'A certificate renewal failed; the renewer backs off and retries. See the renewer logs.',
      metric: renewerMetric(RENEWER_METRICS.failed),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('RenewerErrors', {
      alarmDescription: 'The renew Lambda itself failed (crash, timeout, bad configuration).',
      metric: props.renewer.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.fleetWatch)
      alarm('FleetWatchErrors', {
        alarmDescription:
          'The fleet-watch Lambda failed (a certificate fleet could not be read, a crash, a timeout): the fleet metrics are missing. See its logs.',
        metric: props.fleetWatch.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    for (const [nodeId, dlq] of Object.entries(props.deadLetterQueues)) {
      alarm(`${nodeId}-dlq-not-empty`, {
        alarmDescription: `Events for node ${nodeId} could not be processed and were dead-lettered.`,
        metric: dlq.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    const lagPeriods = Math.max(1, Math.round(lagGrace.toMinutes({ integral: false }) / 15));
    for (const cert of props.certificates) {
      const profile = cert.profile ?? props.defaultProfile ?? 'classic';
      const days = props.expiryDays ?? EXPIRY_DAYS[profile];
      alarm(`${cert.id}-near-expiry`, {
        alarmDescription: `Some node serves certificate ${cert.id} with fewer than ${days} days left.`,
        metric: fleetMetric(FLEET_METRICS.daysRemaining, cert.id, Duration.hours(1)),
        threshold: days,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No data: no node has reported a revision yet (or fleet-watch is down: FleetWatchErrors).
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      });
      alarm(`${cert.id}-nodes-lagging`, {
        alarmDescription: `Some node has not installed the current revision of ${cert.id} for ${lagGrace.toMinutes({ integral: false })} minutes.`,
        metric: fleetMetric(FLEET_METRICS.revisionLag, cert.id, Duration.minutes(15)),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: lagPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`${cert.id}-node-failed`, {
        alarmDescription: `A node failed to install ${cert.id} (failed, rolled back or rejected).`,
        metric: fleetMetric(FLEET_METRICS.nodeFailed, cert.id, Duration.minutes(15)),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`${cert.id}-node-silent`, {
        alarmDescription: `A node or DMZ instance that should hold ${cert.id} has stopped reporting, or never reported.`,
        metric: fleetMetric(FLEET_METRICS.nodeSilent, cert.id, Duration.minutes(15)),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    this.alarms = alarms;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.prefix}-certificates`,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Renewals',
        left: [
          renewerMetric(RENEWER_METRICS.renewed),
          renewerMetric(RENEWER_METRICS.failed),
          renewerMetric(RENEWER_METRICS.remaining),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Renewer Lambda',
        left: [props.renewer.metricInvocations(), props.renewer.metricErrors()],
        right: [props.renewer.metricDuration()],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Days left on served certificates (minimum over nodes)',
        left: props.certificates.map((c) =>
          fleetMetric(FLEET_METRICS.daysRemaining, c.id, Duration.hours(1)),
        ),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Revision lag (maximum over nodes)',
        left: props.certificates.map((c) =>
          fleetMetric(FLEET_METRICS.revisionLag, c.id, Duration.minutes(15)),
        ),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Failed and silent nodes',
        left: props.certificates.map((c) =>
          fleetMetric(FLEET_METRICS.nodeFailed, c.id, Duration.minutes(15)),
        ),
        right: props.certificates.map((c) =>
          fleetMetric(FLEET_METRICS.nodeSilent, c.id, Duration.minutes(15)),
        ),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-lettered events',
        left: Object.values(props.deadLetterQueues).map((q) => q.metricApproximateNumberOfMessagesVisible()),
        width: 12,
      }),
      ...(props.fleetWatch
        ? [
            new cloudwatch.GraphWidget({
              title: 'Fleet-watch Lambda',
              left: [props.fleetWatch.metricInvocations(), props.fleetWatch.metricErrors()],
              width: 12,
            }),
          ]
        : []),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 12 }),
    );

    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }
}
