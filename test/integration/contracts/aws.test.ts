/**
 * The contracts of the stores, the event publisher and the event intake (test/contract/) against
 * the AWS adapters on the embedded stack: dynalite, s3rver, and the SNS stand-in fanning out into
 * local SQS. One stack for the file; every test keeps to its own names (test/contract/unique-name.ts).
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoredAccountStore } from '../../../adapters/acme/stored-account-store.ts';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { DynamoChallengeStore } from '../../../adapters/aws/dynamo-challenge-store.ts';
import { DynamoLock } from '../../../adapters/aws/dynamo-lock.ts';
import { DynamoNodeStatusStore } from '../../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoRolloutStore } from '../../../adapters/aws/dynamo-rollout-store.ts';
import { DynamoStateStore } from '../../../adapters/aws/dynamo-state-store.ts';
import { S3KeystoreStore } from '../../../adapters/aws/s3-keystore-store.ts';
import { SnsEventPublisher } from '../../../adapters/aws/sns-event-publisher.ts';
import { SqsEventIntake } from '../../../adapters/aws/sqs-event-intake.ts';
import { ManualClock } from '../../../adapters/time/manual-clock.ts';
import type { CertificateEvent } from '../../../core/ports/event-publisher.ts';
import { revisionKey } from '../../../core/table-keys.ts';
import { createNodeQueue, createTopic } from '../../../local/resources.ts';
import { describeAcmeAccountStoreContract } from '../../contract/acme-account-store.contract.ts';
import {
  aRevision,
  describeCertificateStateStoreContract,
} from '../../contract/certificate-state-store.contract.ts';
import { describeChallengeStoreContract } from '../../contract/challenge-store.contract.ts';
import { describeEventIntakeContract } from '../../contract/event-intake.contract.ts';
import { describeEventPublisherContract } from '../../contract/event-publisher.contract.ts';
import { describeKeystoreStoreContract } from '../../contract/keystore-store.contract.ts';
import { describeLockContract } from '../../contract/lock.contract.ts';
import { describeNodeStatusStoreContract } from '../../contract/node-status-store.contract.ts';
import { describeRolloutStoreContract } from '../../contract/rollout-store.contract.ts';
import { uniqueName } from '../../contract/unique-name.ts';
import { useLocalStack } from '../../support/local-stack.ts';

const stack = useLocalStack({ pebble: false, prefix: 'contracts' });
let clients: AwsClients;

beforeAll(() => {
  clients = createAwsClients(stack().clientConfigs);
});
afterAll(() => {
  clients?.destroy();
});

const table = () => stack().resources.tableName;
const bucket = () => stack().resources.bucket;

describeLockContract('DynamoLock', () => {
  const clock = new ManualClock();
  return { lock: new DynamoLock(clients.documents, table(), clock), clock };
});

describeChallengeStoreContract('DynamoChallengeStore', () => {
  const clock = new ManualClock();
  return { store: new DynamoChallengeStore(clients.documents, table(), clock), clock };
});

describeKeystoreStoreContract('S3KeystoreStore', () => ({
  store: new S3KeystoreStore(clients.s3, bucket()),
}));

describeAcmeAccountStoreContract('StoredAccountStore on S3KeystoreStore', () => ({
  store: new StoredAccountStore(new S3KeystoreStore(clients.s3, bucket())),
}));

describeCertificateStateStoreContract('DynamoStateStore', () => ({
  store: new DynamoStateStore(clients.documents, table()),
}));

describe('DynamoStateStore beyond the contract: a publish cut short after its first write', () => {
  /** The table as a run sees it that dies before it writes any item (the pointer update went through). */
  function dyingBeforeItems(): DynamoDBDocumentClient {
    const send = (command: unknown) =>
      command instanceof PutCommand
        ? Promise.reject(new Error('socket hang up'))
        : clients.documents.send(command as GetCommand);
    return { send } as unknown as DynamoDBDocumentClient;
  }

  it('answers the revision from the state item, and the next publish writes its item', async () => {
    const id = uniqueName('cert');
    await new DynamoStateStore(dyingBeforeItems(), table()).publish(aRevision(id, 1));
    const store = new DynamoStateStore(clients.documents, table());
    const item = async (n: number) =>
      (await clients.documents.send(new GetCommand({ TableName: table(), Key: revisionKey(id, n) }))).Item;
    expect(await item(1)).toBeUndefined();
    expect(await store.getRevision(id, 1)).toEqual(aRevision(id, 1));

    await store.publish(aRevision(id, 2));

    expect((await item(1))?.revision).toEqual(aRevision(id, 1));
    expect(await store.getRevision(id, 1)).toEqual(aRevision(id, 1));
    expect((await store.get(id)).current).toEqual(aRevision(id, 2));
  });
});

describeRolloutStoreContract('DynamoRolloutStore', () => ({
  store: new DynamoRolloutStore(clients.documents, table()),
}));

describeNodeStatusStoreContract('DynamoNodeStatusStore', () => ({
  store: new DynamoNodeStatusStore(clients.documents, table()),
}));

describeEventPublisherContract('SnsEventPublisher, read from a subscribed SQS queue', async () => {
  const { names, resources } = stack();
  // A queue of its own, subscribed like a node's (no filter): it sees this test's events only.
  const queue = await createNodeQueue(clients, names, resources.topicArn, { id: uniqueName('contract') });
  const received: CertificateEvent[] = [];
  return {
    publisher: new SnsEventPublisher(clients.sns, resources.topicArn),
    delivered: async (count) => {
      const deadline = Date.now() + 5_000;
      while (received.length < count && Date.now() < deadline) {
        // One message per call: local-aws-sqs waits the whole poll when asked for more.
        const { Messages } = await clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: 1, MaxNumberOfMessages: 1 }),
        );
        for (const message of Messages ?? []) {
          // Enveloped delivery: the event is the envelope's Message.
          const envelope = JSON.parse(message.Body ?? '{}') as { Message?: string };
          received.push(JSON.parse(envelope.Message ?? 'null') as CertificateEvent);
          await clients.sqs.send(
            new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }),
          );
        }
      }
      return [...received];
    },
  };
});

describeEventIntakeContract(
  'SqsEventIntake, fed through the SNS stand-in',
  async (options) => {
    const { names } = stack();
    const id = uniqueName('intake');
    // A topic of its own: the cases run side by side, and each queue must see its own events only.
    const topicArn = await createTopic(clients.sns, `${names.topic}-${id}`);
    const queue = await createNodeQueue(clients, names, topicArn, { id });
    if (options?.visibilityTimeoutSeconds !== undefined) {
      await clients.sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: queue.url,
          Attributes: { VisibilityTimeout: String(options.visibilityTimeoutSeconds) },
        }),
      );
    }
    const publisher = new SnsEventPublisher(clients.sns, topicArn);
    return {
      intake: new SqsEventIntake(clients.sqs, queue.url),
      deliver: (event) => publisher.publish(event),
      maxReceiveCount: names.queue(id).maxReceiveCount,
    };
  },
  {
    releaseCountedAsReceive:
      'local-aws-sqs 2.0.2 adds one to ApproximateReceiveCount on ChangeMessageVisibility; SQS does not',
  },
);
