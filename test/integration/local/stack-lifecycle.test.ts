/**
 * Starting and stopping the whole embedded stack: what it exposes, that its env and client configs
 * work, and that stopping leaves no listening socket and no child process behind.
 */
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { challengeKey } from '../../../core/table-keys.ts';
import { type StackProgress, startLocalStack } from '../../../local/stack.ts';
import {
  childProcesses,
  listeningSockets,
  listeningSocketsOf,
  processExists,
} from '../../support/process-table.ts';

const run = promisify(execFile);

function portOf(url: string): number {
  return Number(new URL(url).port);
}

describe('the embedded stack', () => {
  it('starts and stops twice, leaving no listening port and no child process', async () => {
    const socketsBefore = new Set((await listeningSocketsOf()).map((s) => s.inode));
    const childrenBefore = await childProcesses();
    for (let round = 1; round <= 2; round++) {
      const events: StackProgress[] = [];
      const stack = await startLocalStack({ nodes: ['n1'], onProgress: (e) => events.push(e) });
      const pebble = stack.pebble;
      if (!pebble) throw new Error('Pebble did not start');
      const tcpPorts = [
        portOf(stack.endpoints.dynamodb),
        portOf(stack.endpoints.s3),
        portOf(stack.endpoints.sqs),
        portOf(stack.endpoints.sns),
        portOf(stack.endpoints.challengeResponder ?? ''),
        pebble.listenPort,
        pebble.managementPort,
      ];
      const dnsPort = Number(stack.endpoints.dns?.split(':')[1]);
      const listening = await listeningSockets();
      for (const port of tcpPorts)
        expect(listening.some((s) => s.protocol === 'tcp' && s.port === port)).toBe(true);
      expect(listening.some((s) => s.protocol === 'udp' && s.port === dnsPort)).toBe(true);
      expect(await childProcesses()).toContain(pebble.pid);
      expect(
        events
          .filter((e) => e.phase === 'ready')
          .map((e) => e.component)
          .sort(),
      ).toEqual(['dns', 'dynamodb', 'pebble', 'resources', 'responder', 's3', 'sns', 'sqs'].sort());

      await stack.stop();
      await stack.stop(); // idempotent

      const after = await listeningSockets();
      expect(after.filter((s) => s.protocol.startsWith('tcp') && tcpPorts.includes(s.port))).toEqual([]);
      expect(after.filter((s) => s.protocol.startsWith('udp') && s.port === dnsPort)).toEqual([]);
      expect((await listeningSocketsOf()).filter((s) => !socketsBefore.has(s.inode))).toEqual([]);
      expect(processExists(pebble.pid)).toBe(false);
      expect(await childProcesses()).toEqual(childrenBefore);
    }
  });

  it('stops what did start when one part fails, and rethrows', async () => {
    const socketsBefore = new Set((await listeningSocketsOf()).map((s) => s.inode));
    const childrenBefore = await childProcesses();
    const events: StackProgress[] = [];
    // Resource creation fails (bad node id) while Pebble is still starting in parallel.
    await expect(
      startLocalStack({ nodes: ['Not_A_Node_Id'], onProgress: (e) => events.push(e) }),
    ).rejects.toThrow(RangeError);
    expect(events).toContainEqual(expect.objectContaining({ component: 'resources', phase: 'failed' }));
    expect(events.filter((e) => e.phase === 'stopped').map((e) => e.component)).toContain('pebble');
    expect((await listeningSocketsOf()).filter((s) => !socketsBefore.has(s.inode))).toEqual([]);
    expect(await childProcesses()).toEqual(childrenBefore);
  });

  it('gives clients working configs: DynamoDB, S3 without the checksum trap, SNS to SQS', async () => {
    const stack = await startLocalStack({ pebble: false, nodes: ['n1', 'n2'], prefix: 'configs' });
    const dynamodb = new DynamoDBClient(stack.clientConfigs.dynamodb);
    const s3 = new S3Client(stack.clientConfigs.s3);
    const sns = new SNSClient(stack.clientConfigs.sns);
    const sqs = new SQSClient(stack.clientConfigs.sqs);
    try {
      expect(stack.pebble).toBeUndefined();
      expect(stack.names.table.name).toBe('configs');
      const key = challengeKey('abc');
      await dynamodb.send(
        new PutItemCommand({
          TableName: stack.resources.tableName,
          Item: { pk: { S: key.pk }, sk: { S: key.sk }, keyAuthorization: { S: 'abc.xyz' } },
        }),
      );
      const { Item } = await dynamodb.send(
        new GetItemCommand({
          TableName: stack.resources.tableName,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        }),
      );
      expect(Item?.keyAuthorization?.S).toBe('abc.xyz');

      // A streamed body is what the default checksums turn into stored aws-chunked framing.
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
      await s3.send(
        new PutObjectCommand({
          Bucket: stack.resources.bucket,
          Key: 'web/1/keystore.jks',
          Body: Readable.from([bytes]),
          ContentLength: bytes.length,
        }),
      );
      const object = await s3.send(
        new GetObjectCommand({ Bucket: stack.resources.bucket, Key: 'web/1/keystore.jks' }),
      );
      expect(Buffer.from((await object.Body?.transformToByteArray()) ?? [])).toEqual(bytes);

      await sns.send(new PublishCommand({ TopicArn: stack.resources.topicArn, Message: 'revision 1' }));
      for (const node of ['n1', 'n2']) {
        const queue = stack.resources.queues[node];
        if (!queue) throw new Error(`no queue for ${node}`);
        expect(queue.url).toContain(`configs-node-${node}`);
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: 1 }),
        );
        expect(JSON.parse(Messages?.[0]?.Body ?? '{}')).toMatchObject({ Message: 'revision 1' });
      }
    } finally {
      for (const client of [dynamodb, s3, sns, sqs]) client.destroy();
      await stack.stop();
    }
  });

  it('gives another process everything it needs through env alone', async () => {
    const stack = await startLocalStack({ pebble: false });
    try {
      // A fresh Node process with no config of ours: the SDK must pick everything from the env.
      const script = `
        import { Readable } from 'node:stream';
        import { S3Client, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
        import { DynamoDBClient, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
        const s3 = new S3Client({});
        const Bucket = process.env.ACME_HA_BUCKET;
        const bytes = Buffer.alloc(70000, 'from env ');
        // Streamed, so that the checksum setting from the env is what keeps the bytes intact.
        await s3.send(new PutObjectCommand({ Bucket, Key: 'probe', Body: Readable.from([bytes]), ContentLength: bytes.length }));
        const got = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket, Key: 'probe' }))).Body.transformToByteArray());
        const table = await new DynamoDBClient({}).send(new DescribeTableCommand({ TableName: process.env.ACME_HA_TABLE }));
        console.log(JSON.stringify({ intact: got.equals(bytes), table: table.Table.TableStatus }));
      `;
      const clean = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')),
      );
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...clean, ...stack.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        cwd: process.cwd(),
      });
      expect(JSON.parse(stdout)).toEqual({ intact: true, table: 'ACTIVE' });
    } finally {
      await stack.stop();
    }
  });
});
