/**
 * Contract of the SNS stand-in, through the real AWS SDK SNS and SQS clients: fan-out, filter
 * policies, raw and enveloped delivery, subscription management and the errors the SDK maps.
 */
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  type MessageAttributeValue,
  NotFoundException,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalStack } from '../../support/local-stack.ts';

const stack = useLocalStack({ pebble: false });
let sns: SNSClient;
let sqs: SQSClient;

beforeAll(() => {
  sns = new SNSClient(stack().clientConfigs.sns);
  sqs = new SQSClient(stack().clientConfigs.sqs);
});
afterAll(() => {
  sns?.destroy();
  sqs?.destroy();
});

let counter = 0;
/** A fresh topic and `count` fresh queues, so that tests do not see each other's messages. */
async function topicAndQueues(
  count: number,
): Promise<{ topicArn: string; queues: { url: string; arn: string }[] }> {
  const id = `${++counter}-${Date.now()}`;
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `contract-${id}` }));
  if (!TopicArn) throw new Error('no topic ARN');
  const queues = [];
  for (let i = 0; i < count; i++) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `contract-${id}-${i}` }));
    if (!QueueUrl) throw new Error('no queue URL');
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    queues.push({ url: QueueUrl, arn: Attributes?.QueueArn ?? '' });
  }
  return { topicArn: TopicArn, queues };
}

async function subscribe(
  topicArn: string,
  queueArn: string,
  attributes?: Record<string, string>,
): Promise<string> {
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queueArn,
      ReturnSubscriptionArn: true,
      ...(attributes ? { Attributes: attributes } : {}),
    }),
  );
  if (!SubscriptionArn) throw new Error('no subscription ARN');
  return SubscriptionArn;
}

/**
 * Every message now in the queue. The stand-in delivers before Publish returns; real SNS within
 * milliseconds, so a short wait for the expected count keeps the assertions valid against AWS.
 */
async function receiveAll(queueUrl: string, expected = 0): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + 2_000;
  for (;;) {
    // MaxNumberOfMessages > 1 with a long poll waits the full time in local-aws-sqs: poll short.
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    messages.push(...(Messages ?? []));
    if ((Messages ?? []).length === 0 && (messages.length >= expected || Date.now() > deadline))
      return messages;
  }
}

const attr = (DataType: string, value: string): MessageAttributeValue => ({ DataType, StringValue: value });

function envelopeOf(message: Message | undefined): Record<string, unknown> {
  return JSON.parse(message?.Body ?? 'null') as Record<string, unknown>;
}

describe('SNS stand-in', () => {
  it('fans one publish out to three queues as SNS envelopes', async () => {
    const { topicArn, queues } = await topicAndQueues(3);
    for (const q of queues) await subscribe(topicArn, q.arn);
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'certificate renewed',
        Message: '{"certificateId":"web","revision":7}',
        MessageAttributes: {
          certificateId: attr('String', 'web'),
          revision: attr('Number', '7'),
          blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 255]) },
        },
      }),
    );
    expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
    for (const q of queues) {
      const messages = await receiveAll(q.url, 1);
      expect(messages).toHaveLength(1);
      const envelope = envelopeOf(messages[0]);
      expect(envelope).toMatchObject({
        Type: 'Notification',
        MessageId,
        TopicArn: topicArn,
        Subject: 'certificate renewed',
        Message: '{"certificateId":"web","revision":7}',
        MessageAttributes: {
          certificateId: { Type: 'String', Value: 'web' },
          revision: { Type: 'Number', Value: '7' },
          blob: { Type: 'Binary', Value: Buffer.from([1, 2, 255]).toString('base64') },
        },
      });
      expect(new Date(String(envelope.Timestamp)).toISOString()).toBe(envelope.Timestamp);
      expect(String(envelope.UnsubscribeURL)).toContain('Action=Unsubscribe');
      // Enveloped delivery keeps the attributes inside the body, not on the SQS message.
      expect(messages[0]?.MessageAttributes).toBeUndefined();
    }
  });

  it('delivers the bare message with SQS message attributes when RawMessageDelivery is on', async () => {
    const { topicArn, queues } = await topicAndQueues(2);
    const [raw, enveloped] = queues;
    if (!raw || !enveloped) throw new Error('queues missing');
    await subscribe(topicArn, raw.arn, { RawMessageDelivery: 'true' });
    await subscribe(topicArn, enveloped.arn);
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'plain text body',
        MessageAttributes: {
          node: attr('String', 'n1'),
          revision: attr('Number', '12'),
          blob: { DataType: 'Binary', BinaryValue: new Uint8Array([9, 8]) },
        },
      }),
    );
    const [rawMessage] = await receiveAll(raw.url, 1);
    expect(rawMessage?.Body).toBe('plain text body');
    expect(rawMessage?.MessageAttributes?.node).toMatchObject({ DataType: 'String', StringValue: 'n1' });
    expect(rawMessage?.MessageAttributes?.revision).toMatchObject({ DataType: 'Number', StringValue: '12' });
    expect(Buffer.from(rawMessage?.MessageAttributes?.blob?.BinaryValue ?? [])).toEqual(Buffer.from([9, 8]));
    const [envelopedMessage] = await receiveAll(enveloped.url, 1);
    expect(envelopeOf(envelopedMessage).Message).toBe('plain text body');
  });

  it('delivers only what each subscription filter policy lets through', async () => {
    const { topicArn, queues } = await topicAndQueues(4);
    const [byNode, byGroup, byRevision, all] = queues;
    if (!byNode || !byGroup || !byRevision || !all) throw new Error('queues missing');
    await subscribe(topicArn, byNode.arn, {
      FilterPolicy: JSON.stringify({ target: ['n1', { prefix: 'all' }] }),
    });
    await subscribe(topicArn, byGroup.arn, {
      FilterPolicy: JSON.stringify({ groups: ['web'], kind: [{ 'anything-but': ['test'] }] }),
    });
    await subscribe(topicArn, byRevision.arn, {
      FilterPolicy: JSON.stringify({
        revision: [{ numeric: ['>=', 5, '<', 10] }],
        skip: [{ exists: false }],
      }),
    });
    await subscribe(topicArn, all.arn);
    const publish = (Message: string, attributes: Record<string, MessageAttributeValue>) =>
      sns.send(new PublishCommand({ TopicArn: topicArn, Message, MessageAttributes: attributes }));

    await publish('to-n1', { target: attr('String', 'n1') });
    await publish('to-all-nodes', { target: attr('String', 'all-nodes'), revision: attr('Number', '5') });
    await publish('to-web', { groups: attr('String.Array', '["db","web"]'), kind: attr('String', 'prod') });
    await publish('to-web-test', { groups: attr('String.Array', '["web"]'), kind: attr('String', 'test') });
    await publish('rev-12', { revision: attr('Number', '12') });
    await publish('rev-7-skipped', { revision: attr('Number', '7'), skip: attr('String', 'yes') });
    await publish('no-attributes', {});

    const bodies = async (url: string, expected: number) =>
      (await receiveAll(url, expected)).map((m) => envelopeOf(m).Message).sort();
    expect(await bodies(byNode.url, 2)).toEqual(['to-all-nodes', 'to-n1']);
    expect(await bodies(byGroup.url, 1)).toEqual(['to-web']);
    expect(await bodies(byRevision.url, 1)).toEqual(['to-all-nodes']);
    expect(await bodies(all.url, 7)).toHaveLength(7);
  });

  it('changes delivery with SetSubscriptionAttributes and stops it with Unsubscribe', async () => {
    const { topicArn, queues } = await topicAndQueues(1);
    const [queue] = queues;
    if (!queue) throw new Error('queue missing');
    const subscriptionArn = await subscribe(topicArn, queue.arn);
    expect(await subscribe(topicArn, queue.arn)).toBe(subscriptionArn); // idempotent

    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: subscriptionArn,
        AttributeName: 'RawMessageDelivery',
        AttributeValue: 'true',
      }),
    );
    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: subscriptionArn,
        AttributeName: 'FilterPolicy',
        AttributeValue: JSON.stringify({ node: ['n2'] }),
      }),
    );
    const { Attributes } = await sns.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }),
    );
    expect(Attributes).toMatchObject({
      RawMessageDelivery: 'true',
      FilterPolicy: '{"node":["n2"]}',
      Endpoint: queue.arn,
      Protocol: 'sqs',
      TopicArn: topicArn,
    });
    const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(Subscriptions?.map((s) => s.SubscriptionArn)).toEqual([subscriptionArn]);

    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'for n1',
        MessageAttributes: { node: attr('String', 'n1') },
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'for n2',
        MessageAttributes: { node: attr('String', 'n2') },
      }),
    );
    expect((await receiveAll(queue.url, 1)).map((m) => m.Body)).toEqual(['for n2']);

    await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'after',
        MessageAttributes: { node: attr('String', 'n2') },
      }),
    );
    expect(await receiveAll(queue.url)).toEqual([]);
    const after = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(after.Subscriptions ?? []).toEqual([]);
  });

  it('unsubscribes through the UnsubscribeURL of an envelope', async () => {
    const { topicArn, queues } = await topicAndQueues(1);
    const [queue] = queues;
    if (!queue) throw new Error('queue missing');
    await subscribe(topicArn, queue.arn);
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'first' }));
    const [message] = await receiveAll(queue.url, 1);
    const response = await fetch(String(envelopeOf(message).UnsubscribeURL));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<UnsubscribeResponse');
    const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(Subscriptions ?? []).toEqual([]);
  });

  it('picks the sqs text of a MessageStructure=json message', async () => {
    const { topicArn, queues } = await topicAndQueues(1);
    const [queue] = queues;
    if (!queue) throw new Error('queue missing');
    await subscribe(topicArn, queue.arn, { RawMessageDelivery: 'true' });
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: 'default text', sqs: 'queue text' }),
      }),
    );
    expect((await receiveAll(queue.url, 1)).map((m) => m.Body)).toEqual(['queue text']);
  });

  it('keeps topics idempotent by name and lists them', async () => {
    const first = await sns.send(new CreateTopicCommand({ Name: 'idempotent-topic' }));
    const second = await sns.send(new CreateTopicCommand({ Name: 'idempotent-topic' }));
    expect(second.TopicArn).toBe(first.TopicArn);
    expect(first.TopicArn).toBe(`arn:aws:sns:${stack().region}:123456789012:idempotent-topic`);
    const { Topics } = await sns.send(new ListTopicsCommand({}));
    expect(Topics?.map((t) => t.TopicArn)).toContain(first.TopicArn);
    await sns.send(new DeleteTopicCommand({ TopicArn: first.TopicArn }));
    const listed = await sns.send(new ListTopicsCommand({}));
    expect(listed.Topics?.map((t) => t.TopicArn)).not.toContain(first.TopicArn);
  });

  it('answers errors as the SDK exceptions SNS would raise', async () => {
    const { topicArn, queues } = await topicAndQueues(1);
    const queueArn = queues[0]?.arn ?? '';
    const missingTopic = `${topicArn}-missing`;
    await expect(
      sns.send(new PublishCommand({ TopicArn: missingTopic, Message: 'x' })),
    ).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      sns.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'https', Endpoint: 'https://example.com/' }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: 'not-an-arn' })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    for (const policy of [
      '{not json',
      '{"a":"b"}',
      '{"a":[{"wildcard":"x*"}]}',
      '{"$or":[]}',
      '{"a":{"b":["c"]}}',
    ]) {
      await expect(subscribe(topicArn, queueArn, { FilterPolicy: policy }), policy).rejects.toBeInstanceOf(
        InvalidParameterException,
      );
    }
    await subscribe(topicArn, queueArn);
    await expect(subscribe(topicArn, queueArn, { RawMessageDelivery: 'true' })).rejects.toThrow(
      /different attributes/,
    );
    await expect(sns.send(new CreateTopicCommand({ Name: 'events.fifo' }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(
      sns.send(
        new UnsubscribeCommand({ SubscriptionArn: `${topicArn}:00000000-0000-0000-0000-000000000000` }),
      ),
    ).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: 'x',
          MessageAttributes: { n: attr('Number', 'not a number') },
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });
});
