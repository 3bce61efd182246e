/**
 * An HTTP-01 responder: answers `/.well-known/acme-challenge/<token>` from the shared challenge
 * table (whichever process stored the token), or redirects every challenge request to a central
 * responder URL (302; Let's Encrypt follows redirects to ports 80/443). Other paths get 404: they
 * are not its business. The embedded stack runs it (Pebble's validation authority points here by
 * default), and so does the node agent for nodes behind a load balancer that is not an AWS ALB.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CHALLENGE_PREFIX, respondToChallenge } from '../core/challenge/respond.ts';
import type { ChallengeStore } from '../core/ports/challenge-store.ts';
import { challengeKey } from '../core/table-keys.ts';
import { LocalStackError } from './local-stack-error.ts';
import { closeHttp, LOOPBACK, listenHttp } from './net.ts';

export interface ChallengeResponderOptions {
  /** Where tokens are looked up: the table directly (the embedded stack)… */
  readonly dynamodb?: DynamoDBClient;
  readonly tableName?: string;
  /** …or any challenge store (the agent passes DynamoChallengeStore). */
  readonly store?: Pick<ChallengeStore, 'get'>;
  /** Redirect mode: every challenge request gets a 302 to this base URL + the request path. */
  readonly redirectUrl?: string;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default a free port */
  readonly port?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Called once per answered challenge request, for logs and tests. */
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

/**
 * Starts the responder (on 127.0.0.1 unless `host` says otherwise).
 * @throws LocalStackError when it cannot listen, or when neither a store, a table nor a redirect is given
 */
export async function startChallengeResponder(
  options: ChallengeResponderOptions,
): Promise<ChallengeResponder> {
  const store = options.store ?? tableStore(options);
  if (!store && !options.redirectUrl)
    throw new LocalStackError('responder', 'needs a challenge store, a table or a redirect URL');
  const server = createServer((req, res) => {
    answer(req, res, options, store).catch(() => {
      // A table we cannot read is not "no such token": 500 tells the CA and the logs apart.
      if (!res.headersSent)
        reply(res, 500, { 'content-type': 'text/plain' }, 'challenge store unavailable\n');
      else res.end();
    });
  });
  const host = options.host ?? LOOPBACK;
  let port: number;
  try {
    port = await listenOn(server, host, options.port ?? 0);
  } catch (error) {
    throw new LocalStackError('responder', `cannot listen: ${(error as Error).message}`, { cause: error });
  }
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `http://${host === '0.0.0.0' ? LOOPBACK : host}:${port}`,
    stop: () => {
      stopping ??= closeHttp(server);
      return stopping;
    },
  };
}

function listenOn(server: ReturnType<typeof createServer>, host: string, port: number): Promise<number> {
  if (host === LOOPBACK) return listenHttp(server, port);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  options: ChallengeResponderOptions,
  store: Pick<ChallengeStore, 'get'> | undefined,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const method = req.method ?? 'GET';
  if (!path.startsWith(CHALLENGE_PREFIX)) {
    reply(res, 404, { 'content-type': 'text/plain' }, 'not found\n');
    return;
  }
  const token = path.slice(CHALLENGE_PREFIX.length);
  if (options.redirectUrl) {
    const location = `${options.redirectUrl.replace(/\/+$/, '')}${path}`;
    reply(res, 302, { location, 'cache-control': 'no-store' }, '');
    options.onRequest?.({ token, host: req.headers.host ?? '', status: 302 });
    return;
  }
  if (!store) throw new Error('no challenge store');
  const response = await respondToChallenge(method, path, store);
  reply(
    res,
    response.status,
    response.headers,
    response.status === 200 ? response.body : method === 'HEAD' ? '' : 'no such challenge\n',
  );
  options.onRequest?.({ token, host: req.headers.host ?? '', status: response.status });
}

/** The token lookup of the embedded stack: GetItem on the table, expiry checked here. */
function tableStore(options: ChallengeResponderOptions): Pick<ChallengeStore, 'get'> | undefined {
  const { dynamodb, tableName } = options;
  if (!dynamodb || !tableName) return undefined;
  const now = options.now ?? (() => new Date());
  return {
    get: async (token) => {
      const key = challengeKey(token);
      const { Item } = await dynamodb.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
          // The token was written a moment ago by another process.
          ConsistentRead: true,
        }),
      );
      const keyAuthorization = Item?.keyAuthorization?.S;
      const expiresAt = Item?.expiresAt?.N;
      // DynamoDB deletes expired items lazily (dynalite never): expiry is checked here.
      const live = expiresAt === undefined || Number(expiresAt) * 1000 > now().getTime();
      return keyAuthorization && live ? keyAuthorization : null;
    },
  };
}

function reply(
  res: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
): void {
  res.writeHead(status, { 'cache-control': 'no-store', ...headers });
  res.end(body);
}
