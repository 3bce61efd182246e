/**
 * Creates the resources of local/resource-layout.ts through plain AWS SDK calls — against the
 * embedded stack here; in the cloud the CDK stack builds the same shapes. Every call is
 * idempotent, so it can run again on a stack that already has some of them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ResourceNames, TableLayout } from '../core/resource-layout.ts';
import { LocalStackError } from './local-stack-error.ts';

export interface ResourceClients {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

/** A node whose queue pair to create and subscribe to the topic. */
export interface NodeQueueRequest {
  readonly id: string;
  /** SNS filter policy on message attributes; absent = the node receives every event. */
  readonly filterPolicy?: Readonly<Record<string, unknown>>;
}

export interface NodeQueue {
  readonly url: string;
  readonly arn: string;
  readonly deadLetterUrl: string;
  readonly deadLetterArn: string;
  readonly subscriptionArn: string;
}

export interface CreatedResources {
  readonly tableName: string;
  readonly bucket: string;
  readonly topicArn: string;
  /** By node id. */
  readonly queues: Readonly<Record<string, NodeQueue>>;
}

/**
 * Creates (or finds) the table, bucket and topic, then every node's queue pair and subscription.
 * @throws LocalStackError when the table does not become ACTIVE; SDK errors otherwise
 */
export async function createResources(
  clients: ResourceClients,
  names: ResourceNames,
  nodes: readonly (string | NodeQueueRequest)[] = [],
): Promise<CreatedResources> {
  const [, , topicArn] = await Promise.all([
    createTable(clients.dynamodb, names.table),
    createBucket(clients.s3, names.bucket),
    createTopic(clients.sns, names.topic),
  ]);
  const queues: Record<string, NodeQueue> = {};
  await Promise.all(
    nodes.map(async (node) => {
      const request = typeof node === 'string' ? { id: node } : node;
      queues[request.id] = await createNodeQueue(clients, names, topicArn, request);
    }),
  );
  return { tableName: names.table.name, bucket: names.bucket, topicArn, queues };
}

/** Creates the table and waits until it is ACTIVE. */
export async function createTable(dynamodb: DynamoDBClient, table: TableLayout): Promise<void> {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: table.billingMode,
        AttributeDefinitions: [
          { AttributeName: table.partitionKey.name, AttributeType: table.partitionKey.type },
          { AttributeName: table.sortKey.name, AttributeType: table.sortKey.type },
        ],
        KeySchema: [
          { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: table.sortKey.name, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // TTL stays a CDK setting: dynalite has no UpdateTimeToLive, and readers check expiresAt anyway.
  // The SDK's waiter polls every 20 s at least; the local table is ACTIVE within milliseconds.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table.name }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new LocalStackError(
        'dynamodb',
        `table ${table.name} is ${Table?.TableStatus ?? 'missing'}, not ACTIVE`,
      );
    }
    await sleep(10);
  }
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
}

/** Creates the topic (CreateTopic is idempotent by name) and returns its ARN. */
export async function createTopic(sns: SNSClient, topic: string): Promise<string> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: topic }));
  if (!TopicArn) throw new LocalStackError('sns', `CreateTopic ${topic} returned no ARN`);
  return TopicArn;
}

/**
 * Creates one node's dead-letter queue, its queue (redriving to the dead-letter queue) and the
 * queue's subscription to the topic (enveloped delivery: the agent reads the SNS attributes too).
 */
export async function createNodeQueue(
  clients: Pick<ResourceClients, 'sqs' | 'sns'>,
  names: ResourceNames,
  topicArn: string,
  node: NodeQueueRequest,
): Promise<NodeQueue> {
  const layout = names.queue(node.id);
  const attributes = {
    VisibilityTimeout: String(layout.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(layout.retentionSeconds),
  };
  const deadLetter = await createQueue(clients.sqs, layout.deadLetterName, attributes);
  const queue = await createQueue(clients.sqs, layout.name, {
    ...attributes,
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetter.arn,
      maxReceiveCount: layout.maxReceiveCount,
    }),
  });
  const { SubscriptionArn } = await clients.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queue.arn,
      ReturnSubscriptionArn: true,
      ...(node.filterPolicy ? { Attributes: { FilterPolicy: JSON.stringify(node.filterPolicy) } } : {}),
    }),
  );
  if (!SubscriptionArn) throw new LocalStackError('sns', `Subscribe ${queue.arn} returned no ARN`);
  return {
    url: queue.url,
    arn: queue.arn,
    deadLetterUrl: deadLetter.url,
    deadLetterArn: deadLetter.arn,
    subscriptionArn: SubscriptionArn,
  };
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new LocalStackError('sqs', `CreateQueue ${name} returned no URL`);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new LocalStackError('sqs', `queue ${name} has no QueueArn`);
  return { url: QueueUrl, arn };
}
