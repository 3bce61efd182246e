/**
 * Zero downtime, through a real load balancer: HAProxy (TLS passed through, TCP health checks) in
 * front of three nodes whose reload is a restart (it drops every connection and refuses new ones
 * for a while, as a Java file-transfer server's service restart does). Clients keep making fresh
 * TLS connections through the balancer, verifying each chain against the CA, while the agents roll
 * a new revision across the nodes one at a time. With `drain` (HAProxy's runtime API) no request
 * fails; the same rollout without it does fail, so the test can fail.
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, createServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { closeHttp, listenOn } from '../../../adapters/http/http-server.ts';
import { syncOnce } from '../../../core/agent/agent-loop.ts';
import { type HaproxyBalancer, startHaproxyBalancer } from '../../../local/haproxy-server.ts';
import { freeTcpPort, LOOPBACK } from '../../../local/net.ts';
import { agentConfigFor, createTestAgent } from '../../support/agent-fleet.ts';
import { aServerPki, serialOf, writePemFiles } from '../../support/agent-keystores.ts';
import { publishRevision, stackStores } from '../../support/agent-revisions.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { opensslHandshake } from '../../support/openssl.ts';
import { pemOf } from '../../support/pki.ts';
import { tempDir } from '../../support/temp-dir.ts';

const NODES = ['lb-1', 'lb-2', 'lb-3'];
const NAME = 'app.acme-ha.test';
/** How long a request takes at the server: long enough to be cut by a restart. */
const REQUEST_MS = 100;
/** How long a restart leaves the port closed. */
const DOWN_MS = 600;
/** Concurrent clients. */
const CLIENTS = 8;

const stack = useLocalStack({ nodes: NODES, prefix: 'drain', pebble: false });
let clients: AwsClients | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  clients?.destroy();
});

/** A TLS server on the node's port whose reload is a restart: every connection dropped, the port closed for DOWN_MS. */
class RestartingServer {
  private server: TlsServer | undefined;
  private readonly sockets = new Set<Socket>();
  restarts = 0;

  constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  async start(): Promise<void> {
    const [key, cert] = await Promise.all([
      readFile(join(this.dir, 'privkey.pem')),
      readFile(join(this.dir, 'fullchain.pem')),
    ]);
    const server = createServer({ key, cert }, (socket) => {
      setTimeout(() => socket.end('ok\n'), REQUEST_MS);
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, LOOPBACK, () => resolve());
    });
    this.server = server;
  }

  async restart(): Promise<void> {
    this.restarts++;
    await this.stop();
    await sleep(DOWN_MS);
    await this.start();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

interface Traffic {
  ok: number;
  failures: Record<string, number>;
}

/** One request through the balancer on a fresh TLS connection, verified against `ca`; the failure's kind or null. */
function oneRequest(port: number, ca: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    let body = '';
    let settled = false;
    const done = (kind: string | null) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(kind);
    };
    const socket: TLSSocket = connect({ host: LOOPBACK, port, servername: NAME, ca });
    socket.setTimeout(5_000, () => done('timeout'));
    socket.on('secureConnect', () => {
      if (!socket.authorized) done(`tls-verify: ${String(socket.authorizationError)}`);
    });
    socket.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    socket.on('end', () => done(body === 'ok\n' ? null : 'cut-off'));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      done(
        error.code?.startsWith('ERR_TLS') || /certificate/i.test(error.message)
          ? 'tls-verify'
          : (error.code ?? 'error'),
      ),
    );
  });
}

/** Clients making requests back to back until `stop` aborts. */
async function traffic(port: number, ca: string[], stop: AbortSignal): Promise<Traffic> {
  const result: Traffic = { ok: 0, failures: {} };
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (!stop.aborted) {
        const kind = await oneRequest(port, ca);
        if (kind === null) result.ok++;
        else result.failures[kind] = (result.failures[kind] ?? 0) + 1;
      }
    }),
  );
  return result;
}

/**
 * Three nodes on revision 1 behind the balancer; revision 2 rolled out by the nodes' agents (one
 * slot) while the clients run. Returns what the clients saw.
 */
async function rollout(certificateId: string, drain: boolean): Promise<Traffic> {
  const s = stack();
  clients ??= createAwsClients(s.clientConfigs);
  const base = await tempDir(`acme-ha-drain-${certificateId}-`);
  const first = await aServerPki({ sans: [NAME] });
  const second = await aServerPki({ sans: [NAME] });
  const ca = [pemOf([first.root]), pemOf([second.root])];

  const nodes = await Promise.all(
    NODES.map(async (id) => {
      const dir = join(base, id, 'pem');
      await mkdir(dir, { recursive: true });
      await writePemFiles(dir, first);
      const server = new RestartingServer(dir, await freeTcpPort());
      await server.start();
      cleanups.push(() => server.stop());
      const control: HttpServer = createHttpServer((_req, res) => {
        server.restart().then(
          () => res.writeHead(204).end(),
          (error: Error) => res.writeHead(500).end(error.message),
        );
      });
      const controlPort = await listenOn(control, 0, LOOPBACK);
      cleanups.push(() => closeHttp(control));
      return { id, dir, server, controlPort };
    }),
  );
  const balancer: HaproxyBalancer = await startHaproxyBalancer({
    directory: join(base, 'balancer'),
    servers: nodes.map((n) => ({ name: n.id, port: n.server.port })),
  });
  cleanups.push(() => balancer.stop());

  const stores = stackStores(s, clients);
  await publishRevision(stores, certificateId, first);
  const agents = await Promise.all(
    nodes.map((n) =>
      createTestAgent(
        s,
        agentConfigFor(s, n.id, join(base, n.id, 'state'), [
          {
            certificateId,
            format: 'pem',
            path: n.dir,
            reload: {
              http: { url: `http://${LOOPBACK}:${n.controlPort}/restart`, method: 'POST' },
              timeoutSeconds: 10,
            },
            probe: [{ port: n.server.port, sni: NAME }],
            ...(drain
              ? {
                  drain: {
                    haproxy: { socket: balancer.adminSocket, backend: balancer.backend, server: n.id },
                    timeoutSeconds: 10,
                    settleSeconds: 1,
                  },
                }
              : {}),
          },
        ]),
      ),
    ),
  );
  // Revision 1 is what the nodes serve already: the agents record it (nothing restarts).
  for (const agent of agents) await syncOnce(agent.deps, agent.options);

  const stop = new AbortController();
  const running = traffic(balancer.port, ca, stop.signal);
  await sleep(500);
  await publishRevision(stores, certificateId, second);
  const results = await Promise.all(agents.map((agent) => syncOnce(agent.deps, agent.options)));
  await sleep(500);
  stop.abort();
  const seen = await running;
  expect(results.flatMap((r) => r.outcomes.map((o) => o.result))).toEqual(['applied', 'applied', 'applied']);
  const caFile = join(base, 'ca.pem');
  await writeFile(caFile, ca.join(''));
  for (const n of nodes) {
    const handshake = await opensslHandshake({ port: n.server.port, servername: NAME, caFile });
    expect(handshake.served[0]?.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''), n.id).toBe(
      serialOf(second),
    );
  }
  console.log(`[drain] ${certificateId}: ${JSON.stringify(seen)}`);
  return seen;
}

describe('a load balancer that cannot be reached', () => {
  it('is not a reason to restart in rotation: nothing written, no reload, DRAIN_FAILED', async () => {
    const s = stack();
    clients ??= createAwsClients(s.clientConfigs);
    const base = await tempDir('acme-ha-drain-unreachable-');
    const dir = join(base, 'pem');
    await mkdir(dir);
    const before = await aServerPki({ sans: [NAME] });
    await writePemFiles(dir, before);
    const server = new RestartingServer(dir, await freeTcpPort());
    await server.start();
    cleanups.push(() => server.stop());
    await publishRevision(stackStores(s, clients), 'unreachable', await aServerPki({ sans: [NAME] }));
    const agent = await createTestAgent(
      s,
      agentConfigFor(s, NODES[0] ?? '', join(base, 'state'), [
        {
          certificateId: 'unreachable',
          format: 'pem',
          path: dir,
          reload: { http: { url: `http://${LOOPBACK}:1/never`, method: 'POST' }, timeoutSeconds: 5 },
          probe: [{ port: server.port, sni: NAME }],
          drain: {
            haproxy: { socket: join(base, 'no-balancer.sock'), backend: 'nodes', server: NODES[0] ?? '' },
            timeoutSeconds: 1,
            settleSeconds: 1,
          },
        },
      ]),
    );
    const result = await syncOnce(agent.deps, agent.options);
    expect(result.outcomes).toMatchObject([{ result: 'failed', errorCode: 'DRAIN_FAILED' }]);
    expect(result.outcomes[0]?.message).toContain('no-balancer.sock');
    expect(server.restarts).toBe(0);
    expect(await readFile(join(dir, 'fullchain.pem'), 'utf8')).toBe(pemOf(before.chain));
  });
});

describe('a rolling restart behind HAProxy, clients connecting throughout', () => {
  it('with drain: every request succeeds and every chain verifies', async () => {
    const seen = await rollout('drained', true);
    expect(seen.failures).toEqual({});
    expect(seen.ok).toBeGreaterThan(50);
  }, 120_000);

  it('without drain (the control): clients see failed requests', async () => {
    const seen = await rollout('undrained', false);
    expect(Object.values(seen.failures).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 120_000);
});
