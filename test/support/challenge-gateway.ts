/**
 * Stands where the load balancer is: Pebble's validation requests arrive here and are handed, in
 * turn, to each responder variant we ship — the ALB Lambda (an ALB event), the Lambda@Edge function
 * (a CloudFront origin-request event) and the plain HTTP lookup — all reading the same store.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeHttp } from '../../adapters/http/http-server.ts';
import { type ChallengeLookup, respondToChallenge } from '../../core/challenge/respond.ts';
import type { ChallengeStore } from '../../core/ports/challenge-store.ts';
import { lambdaChallenges } from '../../functions/commons/challenge-lookup.ts';
import { createAlbResponder } from '../../functions/respond-alb.ts';
import { type CloudFrontResponse, createEdgeResponder } from '../../functions/respond-edge.ts';
import { listenHttp } from '../../local/net.ts';

export type ResponderVariant = 'alb' | 'edge' | 'http';

export interface GatewayRequest {
  readonly variant: ResponderVariant;
  readonly host: string;
  readonly path: string;
  readonly status: number;
}

export interface ChallengeGateway {
  readonly port: number;
  readonly requests: GatewayRequest[];
  /** The store the responders read; set once the stack is up. */
  use(store: Pick<ChallengeStore, 'pending'>): void;
  /** Answer 404 without any lookup for hosts starting with this label (a node that lost the token). */
  refuseHost(prefix: string): void;
  stop(): Promise<void>;
}

const VARIANTS: readonly ResponderVariant[] = ['alb', 'edge', 'http'];

async function answer(variant: ResponderVariant, method: string, path: string, store: ChallengeLookup) {
  if (variant === 'alb') {
    const result = await createAlbResponder(store)({ httpMethod: method, path });
    return { status: result.statusCode, body: result.body };
  }
  if (variant === 'edge') {
    const result = await createEdgeResponder(store)({
      Records: [{ cf: { request: { method, uri: path } } }],
    });
    const response = result as CloudFrontResponse;
    return { status: Number(response.status), body: response.body };
  }
  const result = await respondToChallenge(method, path, store);
  return { status: result.status, body: result.body };
}

export async function startChallengeGateway(): Promise<ChallengeGateway> {
  let store: ChallengeLookup | undefined;
  const refused: string[] = [];
  const requests: GatewayRequest[] = [];
  let next = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const variant = VARIANTS[next++ % VARIANTS.length] ?? 'http';
    const host = req.headers.host ?? '';
    const path = req.url ?? '/';
    const refuse = !store || refused.some((prefix) => host.startsWith(prefix));
    const pending = refuse
      ? Promise.resolve({ status: 404, body: '' })
      : answer(variant, req.method ?? 'GET', path, store as ChallengeLookup);
    pending
      .then(({ status, body }) => {
        requests.push({ variant, host, path, status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
      })
      .catch(() => res.writeHead(500).end());
  });
  const port = await listenHttp(server, 0);
  return {
    port,
    requests,
    use: (s) => {
      // Every variant answers as the Lambdas do: the pending tokens read for each request the cache cannot answer.
      store = lambdaChallenges(s);
    },
    refuseHost: (prefix) => refused.push(prefix),
    stop: () => closeHttp(server),
  };
}
