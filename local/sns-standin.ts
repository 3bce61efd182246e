/**
 * A LOCAL STAND-IN FOR AMAZON SNS, not an emulator: no usable SNS emulator runs here, so this
 * covers the part of the SNS Query API acme-ha uses, answering the real @aws-sdk/client-sns v3.
 *
 * Covered: CreateTopic (idempotent by name), DeleteTopic, ListTopics, Subscribe (protocol `sqs`,
 * endpoint = queue ARN, idempotent), Unsubscribe, Set/GetSubscriptionAttributes
 * (RawMessageDelivery, FilterPolicy, FilterPolicyScope=MessageAttributes), ListSubscriptionsByTopic,
 * and Publish (Subject, MessageAttributes, MessageStructure=json). Deliveries are real SNS
 * envelopes (Type, MessageId, TopicArn, Subject, Message, Timestamp, UnsubscribeURL,
 * MessageAttributes {Type, Value}) or, with RawMessageDelivery, the bare message with the SNS
 * attributes as SQS message attributes, sent to the local SQS server through the AWS SDK.
 *
 * Left out: message signatures (no Signature, SignatureVersion or SigningCertURL in envelopes),
 * authentication and access policies, protocols other than sqs (http/s, email, lambda, sms…),
 * subscription confirmation, FIFO topics, PublishBatch, data protection, delivery retries and
 * subscription dead-letter queues, tags, paging (NextToken), and the filter policy features listed
 * in sns-filter-policy.ts. Publish returns after the deliveries were attempted (real SNS delivers
 * asynchronously); a failed delivery is reported to `onDeliveryError` and dropped, as SNS drops
 * messages once its retries are exhausted.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  GetQueueUrlCommand,
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { closeHttp } from '../adapters/http/http-server.ts';
import { LOOPBACK, serveStandIn } from './net.ts';
import { readRequestBody } from './read-body.ts';
import {
  type FilterPolicy,
  matchesFilterPolicy,
  parseFilterPolicy,
  type SnsMessageAttribute,
} from './sns-filter-policy.ts';
import {
  element,
  entries,
  invalidParameter,
  notFound,
  readMessageAttributes,
  readStringMap,
  required,
  SnsApiError,
  xmlError,
  xmlResponse,
} from './sns-query-protocol.ts';

export interface SnsStandInOptions {
  /** Client of the SQS server the subscribed queues live in; the caller owns (and destroys) it. */
  readonly sqs: SQSClient;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** Called for each delivery that failed (queue gone, SQS down); the message is dropped. */
  readonly onDeliveryError?: (failure: DeliveryFailure) => void;
}

export interface DeliveryFailure {
  readonly subscriptionArn: string;
  readonly queueArn: string;
  readonly messageId: string;
  readonly error: unknown;
}

export interface SnsStandIn {
  readonly endpoint: string;
  readonly port: number;
  /** Idempotent. */
  stop(): Promise<void>;
}

interface Subscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly queueArn: string;
  raw: boolean;
  filterPolicy: { readonly json: string; readonly policy: FilterPolicy } | undefined;
}

interface Topic {
  readonly arn: string;
  readonly attributes: Map<string, string>;
  readonly subscriptions: Map<string, Subscription>;
}

/** One API action: the inner XML of its result element, or nothing for an empty result. */
type Action = (params: URLSearchParams) => Promise<string | undefined> | string | undefined;

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_MESSAGE_BYTES = 256 * 1024;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:(\d{12}):([A-Za-z0-9_-]{1,80})$/;
const SUBSCRIPTION_ATTRIBUTES = ['RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope'];

/**
 * Starts the stand-in on a free port of 127.0.0.1. State lives in memory and dies with stop().
 * @throws LocalStackError when it cannot listen
 */
export async function startSnsStandIn(options: SnsStandInOptions): Promise<SnsStandIn> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const topics = new Map<string, Topic>();
  const queueUrls = new Map<string, string>();
  let endpoint = '';

  const topic = (arn: string): Topic => {
    const found = topics.get(arn);
    if (!found) throw notFound('Topic does not exist');
    return found;
  };
  const subscription = (arn: string): Subscription => {
    const topicArn = arn.split(':').slice(0, 6).join(':');
    const found = topics.get(topicArn)?.subscriptions.get(arn);
    if (!found) throw notFound('Subscription does not exist');
    return found;
  };

  const queueUrl = async (queueArn: string): Promise<string> => {
    const known = queueUrls.get(queueArn);
    if (known) return known;
    const [, owner, name] = SQS_ARN.exec(queueArn) ?? [];
    const { QueueUrl } = await options.sqs.send(
      new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: owner }),
    );
    if (!QueueUrl) throw new Error(`no URL for ${queueArn}`);
    queueUrls.set(queueArn, QueueUrl);
    return QueueUrl;
  };

  const deliver = async (sub: Subscription, message: Notification): Promise<void> => {
    const body = sub.raw ? message.message : JSON.stringify(envelope(message, sub, endpoint));
    try {
      const attributes = sub.raw ? sqsAttributes(message.attributes) : undefined;
      await options.sqs.send(
        new SendMessageCommand({
          QueueUrl: await queueUrl(sub.queueArn),
          MessageBody: body,
          ...(attributes ? { MessageAttributes: attributes } : {}),
        }),
      );
    } catch (error) {
      // The queue may have been deleted and recreated at another URL.
      queueUrls.delete(sub.queueArn);
      options.onDeliveryError?.({
        subscriptionArn: sub.arn,
        queueArn: sub.queueArn,
        messageId: message.messageId,
        error,
      });
    }
  };

  const actions: Record<string, Action> = {
    CreateTopic(params) {
      const name = required(params, 'Name');
      if (name.endsWith('.fifo'))
        throw invalidParameter('Invalid parameter: FIFO topics are not supported by the local SNS stand-in');
      if (!TOPIC_NAME.test(name)) throw invalidParameter('Invalid parameter: Topic Name');
      const arn = `arn:aws:sns:${region}:${accountId}:${name}`;
      if (!topics.has(arn)) {
        topics.set(arn, { arn, attributes: readStringMap(params, 'Attributes'), subscriptions: new Map() });
      }
      return element('TopicArn', arn);
    },
    DeleteTopic(params) {
      // Like SNS, deleting a topic that does not exist succeeds.
      topics.delete(required(params, 'TopicArn'));
      return undefined;
    },
    ListTopics() {
      const members = [...topics.keys()].map((arn) => `<member>${element('TopicArn', arn)}</member>`);
      return `<Topics>${members.join('')}</Topics>`;
    },
    Subscribe(params) {
      const target = topic(required(params, 'TopicArn'));
      const protocol = required(params, 'Protocol');
      if (protocol !== 'sqs') {
        throw invalidParameter(
          `Invalid parameter: Protocol ${protocol} is not supported by the local SNS stand-in (sqs only)`,
        );
      }
      const queueArn = required(params, 'Endpoint');
      if (!SQS_ARN.test(queueArn)) throw invalidParameter('Invalid parameter: SQS endpoint ARN');
      const attributes = readStringMap(params, 'Attributes');
      const settings = subscriptionSettings(attributes);
      const existing = [...target.subscriptions.values()].find((s) => s.queueArn === queueArn);
      if (existing) {
        // SNS returns the existing subscription, unless the attributes differ.
        if (existing.raw !== settings.raw || existing.filterPolicy?.json !== settings.filterPolicy?.json) {
          throw invalidParameter(
            'Invalid parameter: Attributes Reason: Subscription already exists with different attributes',
          );
        }
        return element('SubscriptionArn', existing.arn);
      }
      const arn = `${target.arn}:${randomUUID()}`;
      target.subscriptions.set(arn, { arn, topicArn: target.arn, queueArn, ...settings });
      return element('SubscriptionArn', arn);
    },
    Unsubscribe(params) {
      const sub = subscription(required(params, 'SubscriptionArn'));
      topics.get(sub.topicArn)?.subscriptions.delete(sub.arn);
      return undefined;
    },
    SetSubscriptionAttributes(params) {
      const sub = subscription(required(params, 'SubscriptionArn'));
      const name = required(params, 'AttributeName');
      const value = params.get('AttributeValue') ?? '';
      const settings = subscriptionSettings(new Map([[name, value]]));
      if (name === 'RawMessageDelivery') sub.raw = settings.raw;
      // An empty FilterPolicy removes the policy, as in SNS.
      if (name === 'FilterPolicy') sub.filterPolicy = settings.filterPolicy;
      return undefined;
    },
    GetSubscriptionAttributes(params) {
      const sub = subscription(required(params, 'SubscriptionArn'));
      const attributes = new Map([
        ['SubscriptionArn', sub.arn],
        ['TopicArn', sub.topicArn],
        ['Protocol', 'sqs'],
        ['Endpoint', sub.queueArn],
        ['Owner', accountId],
        ['RawMessageDelivery', String(sub.raw)],
        ['PendingConfirmation', 'false'],
        ['ConfirmationWasAuthenticated', 'true'],
      ]);
      if (sub.filterPolicy) {
        attributes.set('FilterPolicy', sub.filterPolicy.json);
        attributes.set('FilterPolicyScope', 'MessageAttributes');
      }
      return `<Attributes>${entries(attributes)}</Attributes>`;
    },
    ListSubscriptionsByTopic(params) {
      const target = topic(required(params, 'TopicArn'));
      const members = [...target.subscriptions.values()].map(
        (s) =>
          `<member>${element('TopicArn', s.topicArn)}${element('Protocol', 'sqs')}` +
          `${element('SubscriptionArn', s.arn)}${element('Owner', accountId)}${element('Endpoint', s.queueArn)}</member>`,
      );
      return `<Subscriptions>${members.join('')}</Subscriptions>`;
    },
    async Publish(params) {
      if (params.get('PhoneNumber'))
        throw invalidParameter('Invalid parameter: SMS is not supported by the local SNS stand-in');
      const target = topic(params.get('TopicArn') || required(params, 'TargetArn'));
      const message = notification(params, target.arn);
      const deliveries = [...target.subscriptions.values()]
        .filter((s) => !s.filterPolicy || matchesFilterPolicy(s.filterPolicy.policy, message.attributes))
        .map((s) => deliver(s, message));
      await Promise.all(deliveries);
      return element('MessageId', message.messageId);
    },
  };

  const { server, port } = await serveStandIn('sns', (req, res) => handle(req, res, actions));
  endpoint = `http://${LOOPBACK}:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    stop: () => {
      stopping ??= closeHttp(server);
      return stopping;
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  actions: Record<string, Action>,
): Promise<void> {
  const requestId = randomUUID();
  const reply = (status: number, xml: string) => {
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    res.end(xml);
  };
  try {
    // The SDK POSTs a form; the UnsubscribeURL of an envelope is a GET with a query string.
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    for (const [name, value] of new URLSearchParams(await readBody(req))) params.append(name, value);
    const action = params.get('Action') ?? '';
    const run = Object.hasOwn(actions, action) ? actions[action] : undefined;
    if (!run)
      throw new SnsApiError(
        'InvalidAction',
        400,
        `The action ${action || '(none)'} is not valid for this endpoint (local SNS stand-in)`,
      );
    reply(200, xmlResponse(action, requestId, await run(params)));
  } catch (error) {
    const apiError =
      error instanceof SnsApiError ? error : new SnsApiError('InternalError', 500, (error as Error).message);
    reply(apiError.status, xmlError(apiError, requestId));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return readRequestBody(req, MAX_BODY_BYTES, () => invalidParameter('Invalid parameter: request too large'));
}

/** RawMessageDelivery and FilterPolicy from Subscribe or SetSubscriptionAttributes, checked. */
function subscriptionSettings(
  attributes: ReadonlyMap<string, string>,
): Pick<Subscription, 'raw' | 'filterPolicy'> {
  for (const name of attributes.keys()) {
    if (!SUBSCRIPTION_ATTRIBUTES.includes(name)) {
      throw invalidParameter(
        `Invalid parameter: Attributes Reason: ${name} is not supported by the local SNS stand-in`,
      );
    }
  }
  const raw = attributes.get('RawMessageDelivery') ?? 'false';
  if (raw !== 'true' && raw !== 'false')
    throw invalidParameter('Invalid parameter: RawMessageDelivery: true or false');
  const scope = attributes.get('FilterPolicyScope');
  if (scope !== undefined && scope !== 'MessageAttributes') {
    throw invalidParameter(
      `Invalid parameter: FilterPolicyScope ${scope} is not supported by the local SNS stand-in`,
    );
  }
  const json = attributes.get('FilterPolicy');
  if (json === undefined || json.trim() === '') return { raw: raw === 'true', filterPolicy: undefined };
  const parsed = parseFilterPolicy(json);
  if (!parsed.ok) throw invalidParameter(`Invalid parameter: FilterPolicy: ${parsed.reason}`);
  return { raw: raw === 'true', filterPolicy: { json, policy: parsed.policy } };
}

interface Notification {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject: string | undefined;
  readonly message: string;
  readonly timestamp: string;
  readonly attributes: Readonly<Record<string, SnsMessageAttribute>>;
}

function notification(params: URLSearchParams, topicArn: string): Notification {
  let message = required(params, 'Message');
  if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES)
    throw invalidParameter('Invalid parameter: Message too long');
  if (params.get('MessageStructure') === 'json') message = sqsVariant(message);
  return {
    messageId: randomUUID(),
    topicArn,
    subject: params.get('Subject') ?? undefined,
    message,
    timestamp: new Date().toISOString(),
    attributes: readMessageAttributes(params),
  };
}

/** With MessageStructure=json the message holds one text per protocol; queues get `sqs` or `default`. */
function sqsVariant(structured: string): string {
  let texts: unknown;
  try {
    texts = JSON.parse(structured);
  } catch {
    throw invalidParameter('Invalid parameter: Message Structure - JSON message body failed to parse');
  }
  const record = typeof texts === 'object' && texts !== null ? (texts as Record<string, unknown>) : {};
  const text = record.sqs ?? record.default;
  if (typeof record.default !== 'string' || typeof text !== 'string') {
    throw invalidParameter('Invalid parameter: Message Structure - No default entry in JSON message body');
  }
  return text;
}

/** The JSON document SNS puts in the SQS message body unless RawMessageDelivery is on. */
function envelope(message: Notification, sub: Subscription, endpoint: string): Record<string, unknown> {
  const attributes = Object.entries(message.attributes);
  return {
    Type: 'Notification',
    MessageId: message.messageId,
    TopicArn: message.topicArn,
    ...(message.subject !== undefined ? { Subject: message.subject } : {}),
    Message: message.message,
    Timestamp: message.timestamp,
    UnsubscribeURL: `${endpoint}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(sub.arn)}`,
    ...(attributes.length > 0
      ? {
          MessageAttributes: Object.fromEntries(
            attributes.map(([name, a]) => [
              name,
              {
                Type: a.DataType,
                Value: a.BinaryValue ? Buffer.from(a.BinaryValue).toString('base64') : (a.StringValue ?? ''),
              },
            ]),
          ),
        }
      : {}),
  };
}

/** Raw delivery carries the SNS attributes over as SQS message attributes. */
function sqsAttributes(
  attributes: Readonly<Record<string, SnsMessageAttribute>>,
): Record<string, MessageAttributeValue> | undefined {
  const list = Object.entries(attributes);
  if (list.length === 0) return undefined;
  return Object.fromEntries(
    list.map(([name, a]) => [
      name,
      a.BinaryValue
        ? { DataType: a.DataType, BinaryValue: a.BinaryValue }
        : { DataType: a.DataType, StringValue: a.StringValue ?? '' },
    ]),
  );
}
