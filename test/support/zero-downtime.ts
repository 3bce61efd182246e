/**
 * The zero-downtime scenario of issue 21, for the drain test and the benchmark: a real HAProxy
 * (TLS passed through, TCP health checks) in front of N nodes whose reload is a restart (every
 * connection dropped, the port closed for a while, as a Java file-transfer server's service
 * restart does), clients making fresh TLS connections through it back to back and verifying each
 * chain against the CA, and the nodes' agents rolling a new revision across them.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server as TlsServer } from 'node:tls';
import type { AwsClients } from '../../adapters/aws/aws-clients.ts';
import { haproxyCommand, parseShowStat } from '../../adapters/reload/haproxy-socket.ts';
import { type SyncOnceResult, syncOnce } from '../../core/agent/agent-loop.ts';
import { startHaproxyBalancer } from '../../local/haproxy-server.ts';
import { freeTcpPort, LOOPBACK } from '../../local/net.ts';
import { type Restartable, RestartingJavaServer, serveRestarts } from '../../local/restarting-java-server.ts';
import type { LocalStack } from '../../local/stack.ts';
import { type PhaseTraffic, trafficAround } from '../../local/tls-traffic.ts';
import { agentConfigFor, createTestAgent, PASSWORD, PASSWORD_ENV, type TargetInput } from './agent-fleet.ts';
import { aServerPki, jksOf, writePemFiles } from './agent-keystores.ts';
import { publishRevision, stackStores } from './agent-revisions.ts';
import { pemOf, type TestPki } from './pki.ts';

export const SERVED_NAME = 'app.acme-ha.test';
/** How long a request takes at the server: long enough to be cut by a restart. */
const REQUEST_MS = 100;
/** How long a restart leaves the port closed. */
const DOWN_MS = 600;
/** Concurrent clients. */
const CLIENTS = 8;

/** An HTTP/1.0 server on TLS on the node's port whose reload is a restart. */
export class RestartingServer implements Restartable {
  private server: TlsServer | undefined;
  private readonly sockets = new Set<Socket>();
  private loaded: { key: Buffer; cert: Buffer } | undefined;
  restarts = 0;
  /** A broken restart: the server comes back with what it served before, whatever the files say. */
  ignoreNewFiles = false;

  constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  async start(): Promise<void> {
    const [key, cert] =
      this.ignoreNewFiles && this.loaded
        ? [this.loaded.key, this.loaded.cert]
        : await Promise.all([
            readFile(join(this.dir, 'privkey.pem')),
            readFile(join(this.dir, 'fullchain.pem')),
          ]);
    this.loaded = { key, cert };
    const server = createServer({ key, cert }, (socket) => {
      let head = '';
      socket.on('data', (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (head.includes('\r\n\r\n'))
          setTimeout(() => socket.end('HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n'), REQUEST_MS);
      });
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

export interface ScenarioResult {
  /** Before the new revision was published. */
  readonly steady: PhaseTraffic;
  /** From its publication until every node applied it (and half a second more). */
  readonly during: PhaseTraffic;
  readonly sync: readonly SyncOnceResult[];
  /** Wall time of the rollout, from publication to the last node applied. */
  readonly rolloutMs: number;
  /** Each node, and how often it restarted during the rollout. */
  readonly nodes: readonly { readonly id: string; readonly port: number; readonly restarts: number }[];
  /** Each node's state in the balancer afterwards (`show stat` status: UP, DRAIN, DOWN…). */
  readonly balancerStatus: Readonly<Record<string, string>>;
  readonly second: TestPki;
  /** The CA certificates clients trust, one PEM file. */
  readonly caFile: string;
}

/**
 * Nodes on revision 1 behind the balancer; revision 2 rolled out by the nodes' agents (one slot)
 * while the clients run. `cleanups` gets what stops the servers and the balancer.
 */
export async function rollingRestartUnderTraffic(options: {
  readonly stack: LocalStack;
  readonly clients: AwsClients;
  readonly nodeIds: readonly string[];
  readonly certificateId: string;
  /**
   * How the nodes leave the balancer around their restart: HAProxy's runtime API, or a health
   * endpoint the agent serves and HAProxy health-checks (`option httpchk`, as an ALB would); or not.
   */
  readonly drain: 'haproxy' | 'health' | null;
  /**
   * A node whose restart does not take the new certificate (the broken-canary drill): it syncs
   * first, rolls back, and halts the rollout for the others.
   */
  readonly brokenNodeId?: string;
  /** Nodes that are real Java servers on a JKS keystore (restarted as a JVM); the others are in-process. */
  readonly javaNodeIds?: readonly string[];
  readonly base: string;
  readonly cleanups: (() => Promise<void>)[];
}): Promise<ScenarioResult> {
  const { stack, base, cleanups, certificateId } = options;
  const initial = await aServerPki({ sans: [SERVED_NAME] });
  const second = await aServerPki({ sans: [SERVED_NAME] });
  const ca = [pemOf([initial.root]), pemOf([second.root])];
  await mkdir(base, { recursive: true });
  const caFile = join(base, 'ca.pem');
  await writeFile(caFile, ca.join(''));
  const nodes = await Promise.all(
    options.nodeIds.map(async (id) => {
      const dir = join(base, id, 'tls');
      await mkdir(dir, { recursive: true });
      const java = options.javaNodeIds?.includes(id) ?? false;
      let server: (RestartingServer | RestartingJavaServer) & Restartable;
      let target: TargetInput;
      if (java) {
        const keystore = join(dir, 'server.jks');
        await writeFile(keystore, jksOf(initial, PASSWORD));
        server = await RestartingJavaServer.start({
          type: 'JKS',
          keystore,
          alias: 'server',
          password: PASSWORD,
          http: true,
        });
        target = {
          certificateId,
          format: 'jks',
          path: keystore,
          alias: 'server',
          password: { env: PASSWORD_ENV },
        };
      } else {
        await writePemFiles(dir, initial);
        const tls = new RestartingServer(dir, await freeTcpPort());
        await tls.start();
        tls.ignoreNewFiles = id === options.brokenNodeId;
        server = tls;
        target = { certificateId, format: 'pem', path: dir };
      }
      cleanups.push(() => server.stop());
      const control = await serveRestarts(server);
      cleanups.push(control.stop);
      const healthPort = options.drain === 'health' ? await freeTcpPort() : undefined;
      return { id, server, restartUrl: control.url, target, healthPort };
    }),
  );
  const balancer = await startHaproxyBalancer({
    directory: join(base, 'balancer'),
    servers: nodes.map((n) => ({
      name: n.id,
      port: n.server.port,
      ...(n.healthPort ? { healthPort: n.healthPort } : {}),
    })),
  });
  cleanups.push(() => balancer.stop());
  const stores = stackStores(stack, options.clients);
  await publishRevision(stores, certificateId, initial);
  const agents = await Promise.all(
    nodes.map((n) =>
      createTestAgent(
        stack,
        agentConfigFor(stack, n.id, join(base, n.id, 'state'), [
          {
            ...n.target,
            reload: {
              http: { url: n.restartUrl, method: 'POST' },
              timeoutSeconds: 10,
            },
            probe: [{ port: n.server.port, sni: SERVED_NAME }],
            ...(options.drain === 'haproxy'
              ? {
                  drain: {
                    haproxy: { socket: balancer.adminSocket, backend: balancer.backend, server: n.id },
                    timeoutSeconds: 10,
                    settleSeconds: 1,
                  },
                }
              : {}),
            // Down after two failed checks 200 ms apart: a second covers it.
            ...(n.healthPort
              ? {
                  drain: {
                    health: { port: n.healthPort, host: LOOPBACK },
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
  // Revision 1: the agents record it (a JKS file is rewritten and restarts once: its bytes carry a
  // creation date). Restarts are counted from here.
  for (const agent of agents) await syncOnce(agent.deps, agent.options);
  const restartsBefore = nodes.map((n) => n.server.restarts);

  const broken = options.nodeIds.indexOf(options.brokenNodeId ?? '');
  const brokenAgent = agents[broken];
  const {
    steady,
    during,
    result: sync,
    actionMs: rolloutMs,
  } = await trafficAround(
    { port: balancer.port, servername: SERVED_NAME, ca, clients: CLIENTS, steadyMs: 1_000, afterMs: 500 },
    async () => {
      await publishRevision(stores, certificateId, second);
      const first = brokenAgent ? [await syncOnce(brokenAgent.deps, brokenAgent.options)] : [];
      const others = await Promise.all(
        agents.filter((_, i) => i !== broken).map((agent) => syncOnce(agent.deps, agent.options)),
      );
      return [...first, ...others];
    },
  );
  return {
    steady,
    during,
    sync,
    rolloutMs,
    balancerStatus: await serverStatus(balancer.adminSocket, balancer.backend),
    nodes: nodes.map((n, i) => ({
      id: n.id,
      port: n.server.port,
      restarts: n.server.restarts - (restartsBefore[i] ?? 0),
    })),
    second,
    caFile,
  };
}

/** Each server's status in the balancer's backend, from `show stat`. */
async function serverStatus(socket: string, backend: string): Promise<Record<string, string>> {
  const csv = await haproxyCommand(socket, 'show stat\n', 5_000, (detail) => new Error(detail));
  return Object.fromEntries(
    parseShowStat(csv)
      .filter((r) => r.pxname === backend && r.svname !== 'BACKEND')
      .map((r) => [r.svname ?? '', r.status ?? '']),
  );
}
