/**
 * The port-80 HTTP-01 responder of a node: answers `/.well-known/acme-challenge/<token>` from the
 * shared challenge store (whichever process stored the token), or redirects every challenge
 * request to a central responder URL. Other paths get 404: they are not its business. The node
 * agent runs it (lookup or redirect), the DMZ receiver runs it in redirect mode, and the embedded
 * stack runs it in front of Pebble; all of them through `respondToChallenge` and
 * `redirectChallenge` of core/challenge/respond.ts, the rules every responder shares.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ChallengeCache } from '../../core/challenge/challenge-cache.ts';
import {
  type ChallengeResponse,
  challengeToken,
  redirectChallenge,
  respondToChallenge,
} from '../../core/challenge/respond.ts';
import type { ChallengeStore } from '../../core/ports/challenge-store.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { sleep } from '../time/sleep.ts';
import { closeHttp, listenOn } from './http-server.ts';

/** Where the answers come from: a challenge store (lookup mode) or a central responder (redirect mode). */
export type ChallengeSource =
  | { readonly store: Pick<ChallengeStore, 'pending'> }
  | { readonly redirectUrl: string };

/**
 * A node's responder reads the store at most twice a second, whatever the request rate: a scanner
 * hitting port 80 of every node costs no DynamoDB reads beyond that, and a real validation waits at
 * most this long for the read that sees its token.
 */
export const NODE_RESPONDER_READ_INTERVAL_MS = 500;

export type ChallengeResponderOptions = ChallengeSource & {
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default a free port */
  readonly port?: number;
  /** Called once per challenge request (a path with a well-formed token), for logs and tests. */
  readonly onRequest?: (event: ChallengeRequest) => void;
};

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

function lookup(store: Pick<ChallengeStore, 'pending'>) {
  const challenges = new ChallengeCache(store, {
    minReadIntervalMs: NODE_RESPONDER_READ_INTERVAL_MS,
    clock: systemClock,
    sleep,
  });
  return (method: string, path: string) => respondToChallenge(method, path, challenges);
}

function redirect(url: string) {
  return async (method: string, path: string) => redirectChallenge(method, path, url);
}

/**
 * Starts the responder.
 * @throws ListenError when it cannot listen (the port is taken, or below 1024 without the capability)
 */
export async function startChallengeResponder(
  options: ChallengeResponderOptions,
): Promise<ChallengeResponder> {
  const respond = 'store' in options ? lookup(options.store) : redirect(options.redirectUrl);
  const server = createServer((req, res) => {
    answer(req, res, respond, options.onRequest).catch(() => {
      // A store we cannot read is not "no such token": 500 tells the CA and the logs apart.
      if (!res.headersSent)
        reply(res, 500, { 'content-type': 'text/plain' }, 'challenge store unavailable\n');
      else res.end();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  const host = options.host ?? '127.0.0.1';
  const port = await listenOn(server, options.port ?? 0, host);
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    stop: () => {
      stopping ??= closeHttp(server);
      return stopping;
    },
  };
}

/** Bodies for people who open a refused URL in a browser; a 200 carries the key authorization. */
const BODIES: Partial<Record<ChallengeResponse['status'], string>> = {
  302: '',
  404: 'not found\n',
  405: 'method not allowed\n',
};

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  respond: (method: string, path: string) => Promise<ChallengeResponse>,
  onRequest: ChallengeResponderOptions['onRequest'],
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const method = req.method ?? 'GET';
  const response = await respond(method, path);
  reply(
    res,
    response.status,
    response.headers,
    method === 'HEAD' ? '' : (BODIES[response.status] ?? response.body),
  );
  const token = challengeToken(path);
  if (token !== null) onRequest?.({ token, host: req.headers.host ?? '', status: response.status });
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
