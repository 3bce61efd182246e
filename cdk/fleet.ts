/**
 * The fleet side of the control plane: the event topic, one queue pair per declared node
 * (subscribed with a filter on the node's groups), and one IAM role per node that its agent
 * assumes — on premises through IAM Roles Anywhere (X.509 certificate, CN = node id), on EC2
 * through an instance profile. Each role reaches only its own queue, the keystores of its own
 * certificates and the table partitions of its own certificates.
 */
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rolesanywhere from 'aws-cdk-lib/aws-rolesanywhere';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type AcmeHaConfig,
  type CertificateConfig,
  installingNodes,
} from '../core/config/certificate-config.ts';
import { dmzStatusNodeId } from '../core/dmz/push-to-dmz.ts';
import { nodeAudience } from '../core/fleet-audience.ts';
import { METRICS_NAMESPACE as CORE_METRICS_NAMESPACE } from '../core/metrics.ts';
import type { ResourceNames } from '../core/resource-layout.ts';
import {
  certificateStateKey,
  challengeKey,
  HEAD_KEY,
  lockKey,
  nodeHeartbeatKey,
} from '../core/table-keys.ts';
import { acknowledgeObjectPrefixes } from './nag.ts';
import { assertNoProblems } from './props-error.ts';

/** The namespace of every acme-ha metric (core/metrics.ts). */
export const METRICS_NAMESPACE = CORE_METRICS_NAMESPACE;

export interface RolesAnywhereProps {
  /**
   * PEM of the CA that issues the nodes' client certificates (one or more certificates). A node
   * may assume only the role whose node id equals its certificate's subject CN.
   */
  readonly caCertificatePem: string;
  /**
   * Lifetime of the credentials a node obtains.
   * @default Duration.hours(1)
   */
  readonly sessionDuration?: Duration;
}

export interface FleetProps {
  readonly names: ResourceNames;
  /** The validated configuration: its nodes get queues and roles, its certificates decide access. */
  readonly config: AcmeHaConfig;
  /** Encrypts the topic and the queues; the agents decrypt through SQS, S3 and DynamoDB only. */
  readonly key: kms.IKey;
  /** The keystore bucket; agents read `certificates/<id>/…` of their certificates. */
  readonly bucket: s3.IBucket;
  /** The state table; agents read their certificates' partitions and write their reports there. */
  readonly table: dynamodb.ITable;
  /**
   * Let agents on premises assume their role with IAM Roles Anywhere.
   * @default - no trust anchor; see `ec2InstanceProfiles` and `agentPrincipals`
   */
  readonly rolesAnywhere?: RolesAnywhereProps;
  /**
   * Create an EC2 instance profile per node (the role then trusts ec2.amazonaws.com).
   * @default false
   */
  readonly ec2InstanceProfiles?: boolean;
  /**
   * Further principals allowed to assume every agent role (e.g. an SSO role for break-glass).
   * @default - when neither Roles Anywhere nor EC2 is chosen, the account itself: identities of
   * this account that an IAM policy allows `sts:AssumeRole` on the role
   */
  readonly agentPrincipals?: readonly iam.IPrincipal[];
  /**
   * Allow agents `cloudwatch:PutMetricData` in the acme-ha namespace (expiry, lag, failure metrics).
   * @default true
   */
  readonly agentMetrics?: boolean;
}

/** One node's resources. */
export interface FleetNode {
  readonly id: string;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly role: iam.Role;
  /** Ids of the certificates this node installs. */
  readonly certificates: readonly string[];
}

/**
 * The certificates a node reads: those it installs (by group or by name), plus those it pushes to a
 * DMZ instance (it needs the keystore even when it does not serve the certificate itself).
 */
export function certificatesOfNode(config: AcmeHaConfig, nodeId: string): CertificateConfig[] {
  const pushesTo = new Set(config.dmz.filter((d) => d.pushedBy.includes(nodeId)).map((d) => d.id));
  return config.certificates.filter(
    (cert) => installingNodes(config, cert).includes(nodeId) || cert.dmz.some((d) => pushesTo.has(d)),
  );
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/;

/** Every problem with the Roles Anywhere settings. */
export function rolesAnywhereProblems(ra: RolesAnywhereProps | undefined): string[] {
  const problems: string[] = [];
  if (ra && !PEM_CERTIFICATE.test(ra.caCertificatePem))
    problems.push('rolesAnywhere.caCertificatePem is not a PEM certificate (-----BEGIN CERTIFICATE-----)');
  const sessionSeconds = ra?.sessionDuration?.toSeconds() ?? 3600;
  if (sessionSeconds < 900 || sessionSeconds > 43_200)
    problems.push(`rolesAnywhere.sessionDuration must be 15 minutes to 12 hours, got ${sessionSeconds} s`);
  return problems;
}

/**
 * Every problem with the props that decide the fleet's shape, for one error (AcmeHa checks them
 * up front too).
 */
export function fleetProblems(props: Pick<FleetProps, 'names' | 'config' | 'rolesAnywhere'>): string[] {
  const problems = rolesAnywhereProblems(props.rolesAnywhere);
  for (const node of props.config.nodes) {
    try {
      props.names.queue(node.id);
    } catch (error) {
      problems.push(`node ${node.id} cannot name a queue: ${(error as Error).message}`);
    }
  }
  if (props.config.nodes.length === 0)
    problems.push('the configuration declares no nodes: there would be no queue and no agent role');
  return problems;
}

export class Fleet extends Construct {
  readonly topic: sns.Topic;
  readonly nodes: readonly FleetNode[];
  readonly trustAnchor?: rolesanywhere.CfnTrustAnchor;
  readonly profile?: rolesanywhere.CfnProfile;

  constructor(scope: Construct, id: string, props: FleetProps) {
    super(scope, id);
    assertNoProblems('Fleet', fleetProblems(props));
    const ra = props.rolesAnywhere;
    const sessionSeconds = ra?.sessionDuration?.toSeconds() ?? 3600;

    const { names, key, bucket, table } = props;
    const stack = Stack.of(this);
    this.topic = new sns.Topic(this, 'Events', {
      topicName: names.topic,
      displayName: 'acme-ha certificate events',
      masterKey: key,
      enforceSSL: true,
    });

    if (ra) {
      this.trustAnchor = new rolesanywhere.CfnTrustAnchor(this, 'TrustAnchor', {
        name: `${names.prefix}-nodes`,
        enabled: true,
        source: {
          sourceType: 'CERTIFICATE_BUNDLE',
          sourceData: { x509CertificateData: ra.caCertificatePem.trim() },
        },
      });
    }

    this.nodes = props.config.nodes.map((node) => {
      const layout = names.queue(node.id);
      const deadLetterQueue = new sqs.Queue(this, `${node.id}-dlq`, {
        queueName: layout.deadLetterName,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: key,
        enforceSSL: true,
        retentionPeriod: Duration.seconds(layout.retentionSeconds),
      });
      const queue = new sqs.Queue(this, `${node.id}-queue`, {
        queueName: layout.name,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: key,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(layout.visibilityTimeoutSeconds),
        retentionPeriod: Duration.seconds(layout.retentionSeconds),
        // Long polling by default: an idle agent costs one request per 20 s, not a busy loop.
        receiveMessageWaitTime: Duration.seconds(20),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: layout.maxReceiveCount },
      });
      this.topic.addSubscription(
        new subscriptions.SqsSubscription(queue, {
          // Enveloped delivery: the agent sees the SNS message id and attributes (type, groups).
          rawMessageDelivery: false,
          // Its groups, and the DMZ instances it pushes to (core/fleet-audience.ts).
          filterPolicy: {
            groups: sns.SubscriptionFilter.stringFilter({ allowlist: nodeAudience(props.config, node.id) }),
          },
        }),
      );

      const certificates = certificatesOfNode(props.config, node.id).map((c) => c.id);
      const [trust, ...moreTrust] = this.agentTrust(node.id, props);
      const role = new iam.Role(this, `${node.id}-role`, {
        description: `acme-ha agent of node ${node.id}: its queue, its certificates' keystores and items`,
        assumedBy: trust ?? new iam.AccountRootPrincipal(),
        maxSessionDuration: Duration.seconds(Math.max(3600, sessionSeconds)),
      });
      for (const principal of moreTrust) {
        role.assumeRolePolicy?.addStatements(
          new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [principal] }),
        );
      }
      if (props.ec2InstanceProfiles) {
        const profile = new iam.InstanceProfile(this, `${node.id}-instance-profile`, { role });
        new CfnOutput(this, `${node.id}-instance-profile-name`, {
          value: profile.instanceProfileName,
          description: `EC2 instance profile of node ${node.id}`,
        });
      }
      grantAgent(role, {
        queue,
        key,
        bucket,
        table,
        certificates,
        heartbeats: [
          node.id,
          ...props.config.dmz.filter((d) => d.pushedBy.includes(node.id)).map((d) => dmzStatusNodeId(d.id)),
        ],
        metrics: props.agentMetrics ?? true,
        stack,
      });

      new CfnOutput(this, `${node.id}-queue-url`, {
        value: queue.queueUrl,
        description: `Queue of node ${node.id} (agent config: queueUrl)`,
      });
      new CfnOutput(this, `${node.id}-role-arn`, {
        value: role.roleArn,
        description: `Role the agent of node ${node.id} assumes`,
      });
      return { id: node.id, queue, deadLetterQueue, role, certificates };
    });

    if (ra && this.trustAnchor) {
      this.profile = new rolesanywhere.CfnProfile(this, 'AgentProfile', {
        name: `${names.prefix}-agents`,
        enabled: true,
        roleArns: this.nodes.map((n) => n.role.roleArn),
        durationSeconds: sessionSeconds,
      });
      new CfnOutput(this, 'TrustAnchorArn', { value: this.trustAnchor.attrTrustAnchorArn });
      new CfnOutput(this, 'ProfileArn', { value: this.profile.attrProfileArn });
    }
  }

  /** Who may assume a node's role; the first entry becomes the role's `assumedBy`. */
  private agentTrust(nodeId: string, props: FleetProps): iam.IPrincipal[] {
    const trust: iam.IPrincipal[] = [];
    if (this.trustAnchor) trust.push(new RolesAnywherePrincipal(this.trustAnchor.attrTrustAnchorArn, nodeId));
    if (props.ec2InstanceProfiles) trust.push(new iam.ServicePrincipal('ec2.amazonaws.com'));
    trust.push(...(props.agentPrincipals ?? []));
    // Nothing chosen: identities of this account that an IAM policy lets assume the role.
    if (trust.length === 0) trust.push(new iam.AccountRootPrincipal());
    return trust;
  }
}

/**
 * IAM Roles Anywhere's trust statement: the service, with session tags and source identity (which
 * it always sets), only through our trust anchor, and only for a certificate whose CN is the node id.
 */
class RolesAnywherePrincipal extends iam.ServicePrincipal {
  constructor(
    private readonly trustAnchorArn: string,
    private readonly nodeId: string,
  ) {
    super('rolesanywhere.amazonaws.com');
  }

  override addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    document.addStatements(
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
        principals: [new iam.ServicePrincipal('rolesanywhere.amazonaws.com')],
        conditions: {
          ArnEquals: { 'aws:SourceArn': this.trustAnchorArn },
          StringEquals: { 'aws:PrincipalTag/x509Subject/CN': this.nodeId },
        },
      }),
    );
  }
}

interface AgentGrants {
  readonly queue: sqs.IQueue;
  readonly key: kms.IKey;
  readonly bucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly certificates: readonly string[];
  /** The node ids whose heartbeat it writes: its own, and those of the DMZ instances it pushes to. */
  readonly heartbeats: readonly string[];
  readonly metrics: boolean;
  readonly stack: Stack;
}

/** The agent's whole permission set, statement by statement, so a review reads it in one place. */
function grantAgent(role: iam.Role, grants: AgentGrants): void {
  const { queue, key, bucket, table, certificates, stack } = grants;
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'OwnQueue',
      actions: [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
      ],
      resources: [queue.queueArn],
    }),
  );
  // Queue messages, keystore objects and table items are all under the one key; the agent may use
  // it only through those three services, never call KMS directly.
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'KeyThroughServices',
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': ['sqs', 's3', 'dynamodb'].map((s) => `${s}.${stack.region}.amazonaws.com`),
        },
      },
    }),
  );
  if (certificates.length > 0) {
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OwnKeystores',
        actions: ['s3:GetObject'],
        resources: certificates.map((id) => bucket.arnForObjects(`certificates/${id}/*`)),
      }),
    );
    acknowledgeObjectPrefixes(
      role,
      bucket,
      certificates.map((id) => `certificates/${id}/*`),
      'Revision objects are created at run time under the certificate prefix; the node reads only the prefixes of its own certificates.',
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListOwnKeystores',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: {
          StringLike: {
            's3:prefix': certificates.flatMap((id) => [`certificates/${id}/`, `certificates/${id}/*`]),
          },
        },
      }),
    );
    // IAM can pin the partition key only: the agent works inside its certificates' partitions
    // (state, revisions, rollout records, node reports). See docs/design/2026-11-28-cdk.md.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OwnCertificateItems',
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringEquals': {
            'dynamodb:LeadingKeys': certificates.map((id) => certificateStateKey(id).pk),
          },
        },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OwnRolloutLeases',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': certificates.flatMap((id) => [
              lockKey(`rollout/${id}`).pk,
              `${lockKey(`rollout/${id}`).pk}/*`,
            ]),
          },
        },
      }),
    );
  }
  // Every certificate's current revision in one item: a reconcile reads it once for all its own. The
  // revision numbers of other certificates are no secret worth a partition per node.
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadHead',
      actions: ['dynamodb:GetItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [HEAD_KEY.pk] } },
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'OwnHeartbeats',
      actions: ['dynamodb:PutItem'],
      resources: [table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': {
          'dynamodb:LeadingKeys': grants.heartbeats.map((id) => nodeHeartbeatKey(id).pk),
        },
      },
    }),
  );
  // The agent's port-80 responder in `lookup` mode answers any pending token, like the Lambda
  // responders: tokens are public by design, so read access to the CHALLENGE# items is all it adds.
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ChallengeLookup',
      actions: ['dynamodb:GetItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [challengeKey('*').pk] } },
    }),
  );
  if (grants.metrics) {
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishMetrics',
        // PutMetricData has no resource-level permissions; the namespace condition is the narrowing.
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData supports no resource-level permissions; the statement is limited to the acme-ha namespace by condition.',
    });
  }
}
