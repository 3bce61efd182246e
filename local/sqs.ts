/**
 * SQS for the embedded stack: local-aws-sqs, in this process. Its traps: a long poll with
 * MaxNumberOfMessages > 1 waits the full WaitTimeSeconds; WaitTimeSeconds above the visibility
 * timeout can return one message twice; even WaitTimeSeconds 0 takes ~40 ms when the queue has
 * fewer messages than asked for; `MessageSystemAttributeNames` is ignored (use AttributeNames).
 */
import type { Server } from 'node:http';
import { createSqsServer } from 'local-aws-sqs';
import { closeHttp } from '../adapters/http/http-server.ts';
import { LocalStackError } from './local-stack-error.ts';
import { LOOPBACK } from './net.ts';

export interface LocalSqsOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
}

export interface LocalSqs {
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  /** Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts local-aws-sqs on a free port of 127.0.0.1.
 * @throws LocalStackError when it cannot listen
 */
export async function startLocalSqs(options: LocalSqsOptions = {}): Promise<LocalSqs> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  let server: Server;
  try {
    server = await createSqsServer({
      port: 0,
      hostname: LOOPBACK,
      region,
      accountId,
      // Tests delete and recreate queues; AWS's 60 s wait only gets in the way here.
      emulateQueueCreationLifecycle: false,
    });
  } catch (error) {
    throw new LocalStackError('sqs', `cannot listen: ${(error as Error).message}`, { cause: error });
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    port,
    region,
    accountId,
    stop: () => {
      // Open long polls would otherwise keep close() waiting for up to 20 s.
      stopping ??= closeHttp(server);
      return stopping;
    },
  };
}
