/**
 * An HTTP-01 responder that answers from the DynamoDB table: whichever process stored the token,
 * this one serves it. It stands in for the ALB/Lambda and agent responders in the embedded stack,
 * and is where Pebble's validation authority is pointed by default.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { challengeKey } from '../core/table-keys.ts';
import { LocalStackError } from './local-stack-error.ts';
import { closeHttp, LOOPBACK, listenHttp } from './net.ts';

export interface ChallengeResponderOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** @default a free port */
  readonly port?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Called once per answered request, for logs and tests. */
  readonly onRequest?: (event: ChallengeRequest) => void;
}

export interface ChallengeRequest {
  readonly token: string;
  /** The Host header: Pebble sends `name:httpPort`. */
  readonly host: string;
  readonly status: number;
}

export interface ChallengeResponder {
  readonly port: number;
  readonly url: string;
  /** Idempotent. */
  stop(): Promise<void>;
}

const PATH = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/;

/**
 * Starts the responder on 127.0.0.1.
 * @throws LocalStackError when it cannot listen
 */
export async function startChallengeResponder(
  options: ChallengeResponderOptions,
): Promise<ChallengeResponder> {
  const now = options.now ?? (() => new Date());
  const server = createServer((req, res) => {
    answer(req, res, options, now).catch(() => {
      // A table we cannot read is not "no such token": 500 tells the CA and the logs apart.
      if (!res.headersSent) reply(res, 500, 'challenge store unavailable\n');
      else res.end();
    });
  });
  let port: number;
  try {
    port = await listenHttp(server, options.port ?? 0);
  } catch (error) {
    throw new LocalStackError('responder', `cannot listen: ${(error as Error).message}`, { cause: error });
  }
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `http://${LOOPBACK}:${port}`,
    stop: () => {
      stopping ??= closeHttp(server);
      return stopping;
    },
  };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  options: ChallengeResponderOptions,
  now: () => Date,
): Promise<void> {
  const token = PATH.exec(new URL(req.url ?? '/', 'http://localhost').pathname)?.[1];
  if (!token || (req.method !== 'GET' && req.method !== 'HEAD')) {
    reply(res, 404, 'not found\n');
    return;
  }
  const { Item } = await options.dynamodb.send(
    new GetItemCommand({
      TableName: options.tableName,
      Key: { pk: { S: challengeKey(token).pk }, sk: { S: challengeKey(token).sk } },
      // The token was written a moment ago by another process.
      ConsistentRead: true,
    }),
  );
  const keyAuthorization = Item?.keyAuthorization?.S;
  const expiresAt = Item?.expiresAt?.N;
  // DynamoDB deletes expired items lazily (dynalite never): expiry is checked here.
  const live = expiresAt === undefined || Number(expiresAt) * 1000 > now().getTime();
  const status = keyAuthorization && live ? 200 : 404;
  reply(res, status, status === 200 && keyAuthorization ? keyAuthorization : 'no such challenge\n');
  options.onRequest?.({ token, host: req.headers.host ?? '', status });
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
  res.end(body);
}
