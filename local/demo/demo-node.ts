/**
 * One internal node of the demo: a real TLS server (Java on a JKS, nginx or HAProxy on PEM), its
 * agent (the production agent, in this process) and its port-80 responder in lookup mode.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoChallengeStore } from '../../adapters/aws/dynamo-challenge-store.ts';
import { type ChallengeResponder, startChallengeResponder } from '../../adapters/http/challenge-responder.ts';
import type { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { type AgentRuntime, createAgent } from '../../agent/compose-agent.ts';
import { type AgentObserver, runAgent } from '../../core/agent/agent-loop.ts';
import { type AgentConfig, agentConfigSchema, type DmzPeerConfig } from '../../core/config/agent-config.ts';
import type * as z from '../../core/config/zod.ts';
import { buildKeystore, PEM_FILES } from '../../core/keystore/keystore.ts';
import { readCertificates, readPrivateKey } from '../../core/keystore/pem.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { startHaproxy } from '../haproxy-server.ts';
import { startJavaTlsServer } from '../java-tls-server.ts';
import { startNginx } from '../nginx-server.ts';
import { selfSignedOrIssued } from '../pebble-listener-certificate.ts';
import { RestartingJavaServer, serveRestarts } from '../restarting-java-server.ts';
import type { LocalStack } from '../stack.ts';

export type ServerKind = 'java' | 'nginx' | 'haproxy';

export const DEMO_PASSWORD_ENV = 'ACME_HA_DEMO_KEYSTORE_PASSWORD';

export interface DemoNodeOptions {
  readonly id: string;
  readonly kind: ServerKind;
  readonly directory: string;
  readonly stack: LocalStack;
  readonly clients: AwsClients;
  readonly certificateId: string;
  readonly names: readonly string[];
  readonly password: string;
  /** The node's groups. @default ['demo'] */
  readonly groups?: readonly string[];
  /** A Java server whose reload is a JVM restart (see startDemoTlsServer). */
  readonly restarts?: boolean;
  readonly observer: AgentObserver;
  /** DMZ receivers this node pushes to. */
  readonly dmzPeers?: readonly DmzPeerConfig[];
  /** The agents' structured log (`--verbose`); silent by default. */
  readonly log?: JsonLogger | undefined;
}

export interface DemoNode {
  readonly id: string;
  readonly kind: ServerKind;
  readonly tlsPort: number;
  readonly responderPort: number;
  /** Starts (or restarts) the agent daemon: reconcile at start, then the queue. */
  startAgent(options?: AgentVariant): Promise<void>;
  stopAgent(): Promise<void>;
  stop(): Promise<void>;
}

/** Changes to the node's target for one run of its agent. */
export interface AgentVariant {
  /** A broken reload script: the reload reports failure, so the agent must roll back. */
  readonly brokenReload?: boolean;
  /** How the node leaves the load balancer around its reload. */
  readonly drain?: NonNullable<TargetInput['drain']>;
}

/** A self-signed certificate for the names, so that the server has something to serve at first. */
async function bootstrapMaterial(dir: string, names: readonly string[]) {
  const out = { cert: join(dir, 'bootstrap-cert.pem'), key: join(dir, 'bootstrap-key.pem') };
  await selfSignedOrIssued(out, `/CN=${names[0] ?? 'demo'}`, [
    `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
  ]);
  const [leaf] = readCertificates(await readFile(out.cert, 'utf8'), out.cert);
  if (!leaf) throw new Error('openssl made no certificate');
  return { privateKey: readPrivateKey(await readFile(out.key, 'utf8'), out.key), chain: [leaf] as const };
}

/** A real TLS server on a bootstrap certificate, and the agent target that keeps it fresh. */
export interface DemoTlsServer {
  readonly kind: ServerKind;
  readonly tlsPort: number;
  readonly target: TargetInput;
  stop(): Promise<void>;
}

export async function startDemoTlsServer(options: {
  readonly kind: ServerKind;
  readonly directory: string;
  readonly certificateId: string;
  readonly names: readonly string[];
  readonly password: string;
  /**
   * Java only: the reload is a restart of the JVM on the same port (a file-transfer server's service
   * restart), and the server speaks HTTP/1.0 as nginx's and HAProxy's do, for clients behind a load
   * balancer.
   */
  readonly restarts?: boolean;
}): Promise<DemoTlsServer> {
  const { kind, directory, names, password } = options;
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const material = await bootstrapMaterial(directory, names);
  const probe = (port: number) => [{ port, sni: names[0] }];
  const base = { certificateId: options.certificateId };
  if (kind === 'java') {
    const keystore = join(directory, 'server.jks');
    const jks = buildKeystore(material, { format: 'jks', alias: 'server', password, created: new Date() });
    if (jks.kind === 'file') await writeFile(keystore, jks.bytes, { mode: 0o600 });
    const jksTarget = {
      ...base,
      format: 'jks',
      path: keystore,
      alias: 'server',
      password: { env: DEMO_PASSWORD_ENV },
    } as const;
    if (options.restarts) {
      const java = await RestartingJavaServer.start({
        type: 'JKS',
        keystore,
        alias: 'server',
        password,
        http: true,
      });
      const restarts = await serveRestarts(java);
      return {
        kind,
        tlsPort: java.port,
        stop: async () => {
          await restarts.stop();
          await java.stop();
        },
        target: {
          ...jksTarget,
          reload: { http: { url: restarts.url, method: 'POST' }, timeoutSeconds: 10 },
          probe: probe(java.port),
        },
      };
    }
    const java = await startJavaTlsServer({ type: 'JKS', keystore, alias: 'server', password });
    return {
      kind,
      tlsPort: java.tlsPort,
      stop: java.stop,
      target: {
        ...jksTarget,
        reload: { http: { url: java.reloadUrl, method: 'POST' }, timeoutSeconds: 10 },
        probe: probe(java.tlsPort),
      },
    };
  }
  const pemDir = join(directory, 'tls');
  await mkdir(pemDir, { mode: 0o700 });
  const pem = buildKeystore(material, { format: 'pem', alias: 'x', created: new Date() });
  if (pem.kind === 'directory') {
    for (const [name, bytes] of pem.files) await writeFile(join(pemDir, name), bytes, { mode: 0o600 });
  }
  if (kind === 'nginx') {
    const nginx = await startNginx({
      directory: join(directory, 'nginx'),
      certificateFile: join(pemDir, PEM_FILES.fullchain),
      keyFile: join(pemDir, PEM_FILES.privkey),
    });
    return {
      kind,
      tlsPort: nginx.port,
      stop: nginx.stop,
      target: {
        ...base,
        format: 'pem',
        path: pemDir,
        files: [PEM_FILES.fullchain, PEM_FILES.privkey],
        reload: { command: [...nginx.reloadCommand], timeoutSeconds: 10 },
        probe: probe(nginx.port),
      },
    };
  }
  const haproxy = await startHaproxy({
    directory: join(directory, 'haproxy'),
    combinedPemFile: join(pemDir, PEM_FILES.combined),
  });
  return {
    kind,
    tlsPort: haproxy.port,
    stop: haproxy.stop,
    target: {
      ...base,
      format: 'pem',
      path: pemDir,
      files: [PEM_FILES.combined],
      reload: {
        haproxy: { socket: haproxy.adminSocket, certificate: haproxy.certificateName },
        timeoutSeconds: 10,
      },
      probe: probe(haproxy.port),
    },
  };
}

export async function startDemoNode(options: DemoNodeOptions): Promise<DemoNode> {
  const { id, kind, stack } = options;
  const server = await startDemoTlsServer(options);
  const stops: (() => Promise<void>)[] = [server.stop];
  const { target, tlsPort } = server;
  const responder: ChallengeResponder = await startChallengeResponder({
    store: new DynamoChallengeStore(options.clients.documents, stack.resources.tableName, systemClock),
  });
  stops.push(responder.stop);

  let running: { runtime: AgentRuntime; controller: AbortController; loop: Promise<void> } | undefined;
  const stopAgent = async () => {
    if (!running) return;
    running.controller.abort();
    await running.loop;
    running.runtime.close();
    running = undefined;
  };
  return {
    id,
    kind,
    tlsPort,
    responderPort: responder.port,
    startAgent: async (variant = {}) => {
      await stopAgent();
      const reload = variant.brokenReload
        ? { command: ['sh', '-c', 'echo "reload script broken" >&2; exit 1'], timeoutSeconds: 10 }
        : target.reload;
      const drain = variant.drain ? { drain: variant.drain } : {};
      const runtime = await createAgent(agentConfig(options, { ...target, reload, ...drain }), {
        log: options.log?.child({ nodeId: id }) ?? silentLogger,
        env: { [DEMO_PASSWORD_ENV]: options.password },
        clientConfigs: stack.clientConfigs,
        observer: options.observer,
        pollMs: 50,
      });
      const controller = new AbortController();
      running = { runtime, controller, loop: runAgent(runtime.deps, runtime.options, controller.signal) };
    },
    stopAgent,
    stop: async () => {
      await stopAgent();
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}

/** A target as written in an agent config file (parsed once, with the whole config). */
type TargetInput = NonNullable<z.input<typeof agentConfigSchema>['targets']>[number];

function agentConfig(options: DemoNodeOptions, target: TargetInput): AgentConfig {
  const queue = options.stack.resources.queues[options.id];
  if (!queue) throw new Error(`the stack has no queue for ${options.id}`);
  return agentConfigSchema.parse({
    version: 1,
    node: { id: options.id, groups: options.groups ?? ['demo'] },
    aws: {
      region: options.stack.region,
      table: options.stack.resources.tableName,
      bucket: options.stack.resources.bucket,
      queueUrl: queue.url,
    },
    stateDirectory: join(options.directory, 'state'),
    // A restarted agent's aborted long poll can take an event with it (SQS hides the message for the
    // visibility timeout); reconcile is the safety net, frequent here so the demo never waits on it.
    reconcileIntervalSeconds: 5,
    rollout: { probeTimeoutSeconds: 10, canaryTimeoutSeconds: 60 },
    targets: [target],
    dmz: options.dmzPeers ?? [],
  });
}
