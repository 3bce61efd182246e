/**
 * The "load balancer" in front of the demo's nodes: every HTTP request to it (Pebble's HTTP-01
 * validation requests) is forwarded to a node picked at random — which is exactly why the token
 * must be answerable by every node.
 */
import { createServer, request } from 'node:http';
import { closeHttp } from '../../adapters/http/http-server.ts';
import { LOOPBACK, listenHttp } from '../net.ts';

export interface Backend {
  readonly name: string;
  readonly port: number;
}

export interface LoadBalancer {
  readonly port: number;
  /** How many requests each backend answered, and with which status. */
  readonly picks: { readonly backend: string; readonly status: number }[];
  setBackends(backends: readonly Backend[]): void;
  stop(): Promise<void>;
}

export async function startLoadBalancer(random: () => number = Math.random): Promise<LoadBalancer> {
  let backends: readonly Backend[] = [];
  const picks: { backend: string; status: number }[] = [];
  const server = createServer((req, res) => {
    const backend = backends[Math.floor(random() * backends.length)];
    if (!backend) {
      res.writeHead(503).end('no backend\n');
      return;
    }
    const upstream = request(
      { host: LOOPBACK, port: backend.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        picks.push({ backend: backend.name, status: answer.statusCode ?? 0 });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  const port = await listenHttp(server, 0);
  return {
    port,
    picks,
    setBackends: (list) => {
      backends = list;
    },
    stop: () => closeHttp(server),
  };
}
