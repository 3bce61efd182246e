/**
 * The health endpoints a node's agent (or DMZ receiver) serves for load balancers that only
 * health-check: AWS ALB and NLB target groups, F5 monitors, HAProxy's `option httpchk`. Every path
 * answers `200 ready` while the node should take traffic and `503 draining` from a drain until the
 * ready after the reload; the load balancer stops sending new connections once its failing-check
 * threshold is reached, and the agent waits `settleSeconds` for that. It also answers 503 when a
 * port the targets are probed on does not accept a TCP connection, so that the endpoint never calls
 * a stopped server healthy. See docs/design/2026-12-05-drain.md.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { Drainer } from '../../core/ports/drainer.ts';
import { closeHttp, listenOn } from '../http/http-server.ts';

export interface Address {
  readonly host: string;
  readonly port: number;
}

/** How long the server's port may take to accept a connection before the endpoint says 503. */
const CONNECT_TIMEOUT_MS = 1_000;

/** A TCP connection to `address` opens within the timeout. */
function accepts(address: Address): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(address);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

class Endpoint {
  /** Drains in progress (two certificates' targets may share the endpoint): 503 while any is. */
  readonly draining = new Set<object>();
  readonly watched = new Map<string, Address>();
  readonly server: Server;

  constructor(readonly address: Address) {
    this.server = createServer((req, res) => {
      this.status().then(
        ({ code, text }) =>
          res
            .writeHead(code, { 'content-type': 'text/plain', 'cache-control': 'no-store' })
            .end(req.method === 'HEAD' ? undefined : `${text}\n`),
        () => res.writeHead(500).end(),
      );
    });
  }

  private async status(): Promise<{ code: number; text: string }> {
    if (this.draining.size > 0) return { code: 503, text: 'draining' };
    for (const address of this.watched.values())
      if (!(await accepts(address)))
        return { code: 503, text: `${address.host}:${address.port} does not accept connections` };
    return { code: 200, text: 'ready' };
  }
}

/** The endpoints of one agent process, one HTTP server per address however many targets share it. */
export class HealthEndpoints {
  private readonly endpoints = new Map<string, Endpoint>();

  /**
   * The drain action of a target whose load balancer checks `address`; `watched` are the ports the
   * target's server is probed on.
   */
  drainer(address: Address, watched: readonly Address[]): Drainer {
    const key = `${address.host}:${address.port}`;
    let endpoint = this.endpoints.get(key);
    if (!endpoint) {
      endpoint = new Endpoint(address);
      this.endpoints.set(key, endpoint);
    }
    for (const w of watched) endpoint.watched.set(`${w.host}:${w.port}`, w);
    const draining = endpoint.draining;
    const drain = {};
    return {
      description: `health endpoint http://${key}/ (503 while draining)`,
      drain: async () => {
        draining.add(drain);
      },
      ready: async () => {
        draining.delete(drain);
      },
      activeConnections: async () => null,
    };
  }

  /** @throws ListenError naming the address when one cannot be bound (in use, not permitted) */
  async listen(): Promise<void> {
    for (const endpoint of this.endpoints.values())
      if (!endpoint.server.listening)
        await listenOn(endpoint.server, endpoint.address.port, endpoint.address.host);
  }

  async close(): Promise<void> {
    await Promise.all([...this.endpoints.values()].map((e) => closeHttp(e.server)));
  }
}
