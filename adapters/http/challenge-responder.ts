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
  return (method: string, path: string) => redirectChallenge(method, path, url);
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
    const fail = () => {
      // A store we cannot read is not "no such token": 500 tells the CA and the logs apart.
      if (!res.headersSent)
        reply(res, 500, { 'content-type': 'text/plain' }, 'challenge store unavailable\n');
      else res.end();
    };
    try {
      answer(req, res, respond, options.onRequest)?.catch(fail);
    } catch {
      fail();
    }
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

/** Answers at once when no read is needed (the hot path); a promise only when the store is read. */
function answer(
  req: IncomingMessage,
  res: ServerResponse,
  respond: (method: string, path: string) => ChallengeResponse | Promise<ChallengeResponse>,
  onRequest: ChallengeResponderOptions['onRequest'],
): Promise<void> | undefined {
  const path = pathOf(req.url ?? '/');
  const method = req.method ?? 'GET';
  const send = (response: ChallengeResponse) => {
    reply(
      res,
      response.status,
      response.headers,
      BODIES[response.status] ?? response.body,
      method === 'HEAD',
    );
    const token = challengeToken(path);
    if (token !== null) onRequest?.({ token, host: req.headers.host ?? '', status: response.status });
  };
  const response = respond(method, path);
  if (response instanceof Promise) return response.then(send);
  send(response);
  return undefined;
}

const UNUSUAL_PATH = /[%\\]|\/\.\.?(\/|$)/;

/** The path of a request target: origin-form as it is, up to a query; anything else through URL. */
function pathOf(target: string): string {
  if (target.startsWith('/') && !target.startsWith('//')) {
    const query = target.search(/[?#]/);
    const path = query === -1 ? target : target.slice(0, query);
    // Percent-encoding, backslashes and dot segments are URL's business: it normalizes them.
    if (!UNUSUAL_PATH.test(path)) return path;
  }
  return new URL(target, 'http://localhost').pathname;
}

/** A HEAD answer has the headers only, and no length (RFC 9110 §9.3.2 lets it leave it out). */
function reply(
  res: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
  head = false,
): void {
  // A flat [name, value, …] list with the length: Node writes it as it is, no chunked framing.
  const list = ['cache-control', 'no-store'];
  if (!head) list.push('content-length', String(Buffer.byteLength(body)));
  for (const name in headers) if (name !== 'cache-control') list.push(name, headers[name] as string);
  res.writeHead(status, list);
  res.end(head ? '' : body);
}
