/**
 * The proof of issue 5 on the embedded stack: three agents, each in front of a real TLS server —
 * Java on a JKS (HTTP reload), nginx on PEM (`nginx -s reload`), HAProxy on PEM (runtime API) —
 * converge on every renewal that Pebble issues and the control plane publishes, confirmed by
 * `openssl s_client` against Pebble's root; duplicate and older events change nothing; an agent
 * that was down during an event catches up on start.
 */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { DynamoStateStore } from '../../../adapters/aws/dynamo-state-store.ts';
import { SnsEventPublisher } from '../../../adapters/aws/sns-event-publisher.ts';
import type { AgentConfig } from '../../../core/config/agent-config.ts';
import { startHaproxy } from '../../../local/haproxy-server.ts';
import { startJavaTlsServer } from '../../../local/java-tls-server.ts';
import { startNginx } from '../../../local/nginx-server.ts';
import {
  agentConfigFor,
  certificateConfigFor,
  createTestAgent,
  forceRenewal,
  nodeStatuses,
  PASSWORD,
  PASSWORD_ENV,
  type RunningAgent,
  startDaemon,
} from '../../support/agent-fleet.ts';
import { aServerPki, jksOf, writePemFiles } from '../../support/agent-keystores.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { opensslHandshake } from '../../support/openssl.ts';
import { tempDir } from '../../support/temp-dir.ts';

const CERT = 'app';
const NAME = 'app.acme-ha.test';
const NODES = ['java', 'nginx', 'haproxy'] as const;
type NodeId = (typeof NODES)[number];

const stack = useLocalStack({ nodes: [...NODES], prefix: 'agent-fleet' });
const stops: (() => Promise<void>)[] = [];
const agents = new Map<NodeId, RunningAgent>();
const configs = new Map<NodeId, AgentConfig>();
const ports = new Map<NodeId, number>();
const watched = new Map<NodeId, string>();
let rootFile: string;

afterAll(async () => {
  await Promise.all([...agents.values()].map((a) => a.stop().then(() => a.runtime.close())));
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

async function currentSerial(): Promise<{ revision: number; serial: string }> {
  const clients = createAwsClients(stack().clientConfigs);
  try {
    const current = (await new DynamoStateStore(clients.documents, stack().resources.tableName).get(CERT))
      .current;
    if (!current) throw new Error('nothing published');
    return { revision: current.revision, serial: current.serial };
  } finally {
    clients.destroy();
  }
}

async function expectEveryNodeAt(revision: number, only: readonly NodeId[] = NODES): Promise<void> {
  await expect
    .poll(
      async () =>
        (await nodeStatuses(stack(), CERT))
          .filter((s) => only.includes(s.nodeId as NodeId))
          .map((s) => `${s.nodeId}:${s.result}:${s.revisionServed}`)
          .sort(),
      { timeout: 20_000, interval: 100 },
    )
    .toEqual(only.map((n) => `${n}:applied:${revision}`).sort());
}

async function servedSerials(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const node of NODES) {
    const port = ports.get(node);
    if (port === undefined) throw new Error(`no port for ${node}`);
    const handshake = await opensslHandshake({ port, servername: NAME, caFile: rootFile });
    expect(handshake.verifyLine, node).toBe('Verify return code: 0 (ok)');
    out[node] = handshake.served[0]?.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '') ?? 'none';
  }
  return out;
}

async function start(node: NodeId): Promise<void> {
  const config = configs.get(node);
  if (!config) throw new Error(`no config for ${node}`);
  agents.set(node, startDaemon(await createTestAgent(stack(), config)));
}

beforeAll(async () => {
  const s = stack();
  const pebble = s.pebble;
  if (!pebble) throw new Error('no Pebble');
  const base = await tempDir('acme-ha-fleet-');
  rootFile = join(base, 'pebble-root.pem');
  await writeFile(rootFile, await pebble.rootCertificate());
  const bootstrap = await aServerPki({ sans: [NAME] });

  // Java on a JKS, reloaded over HTTP.
  const javaDir = join(base, 'java');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(javaDir);
  const keystore = join(javaDir, 'server.jks');
  await writeFile(keystore, jksOf(bootstrap, PASSWORD));
  const java = await startJavaTlsServer({ type: 'JKS', keystore, alias: 'server', password: PASSWORD });
  stops.push(java.stop);
  ports.set('java', java.tlsPort);
  watched.set('java', keystore);
  configs.set(
    'java',
    agentConfigFor(s, 'java', join(javaDir, 'state'), [
      {
        certificateId: CERT,
        format: 'jks',
        path: keystore,
        alias: 'server',
        password: { env: PASSWORD_ENV },
        reload: { http: { url: java.reloadUrl, method: 'POST' }, timeoutSeconds: 10 },
        probe: [{ port: java.tlsPort, sni: NAME }],
      },
    ]),
  );

  // nginx on PEM, `nginx -s reload`.
  const nginxDir = join(base, 'nginx-pem');
  await mkdir(nginxDir);
  await writePemFiles(nginxDir, bootstrap);
  const nginx = await startNginx({
    directory: join(base, 'nginx'),
    certificateFile: join(nginxDir, 'fullchain.pem'),
    keyFile: join(nginxDir, 'privkey.pem'),
  });
  stops.push(nginx.stop);
  ports.set('nginx', nginx.port);
  watched.set('nginx', join(nginxDir, 'fullchain.pem'));
  configs.set(
    'nginx',
    agentConfigFor(s, 'nginx', join(base, 'nginx-state'), [
      {
        certificateId: CERT,
        format: 'pem',
        path: nginxDir,
        files: ['fullchain.pem', 'privkey.pem'],
        reload: { command: [...nginx.reloadCommand], timeoutSeconds: 10 },
        probe: [{ port: nginx.port, sni: NAME }],
      },
    ]),
  );

  // HAProxy on PEM, runtime API.
  const haproxyDir = join(base, 'haproxy-pem');
  await mkdir(haproxyDir);
  await writePemFiles(haproxyDir, bootstrap);
  const haproxy = await startHaproxy({
    directory: join(base, 'haproxy'),
    combinedPemFile: join(haproxyDir, 'combined.pem'),
  });
  stops.push(haproxy.stop);
  ports.set('haproxy', haproxy.port);
  watched.set('haproxy', join(haproxyDir, 'combined.pem'));
  configs.set(
    'haproxy',
    agentConfigFor(s, 'haproxy', join(base, 'haproxy-state'), [
      {
        certificateId: CERT,
        format: 'pem',
        path: haproxyDir,
        files: ['combined.pem'],
        reload: {
          haproxy: { socket: haproxy.adminSocket, certificate: haproxy.certificateName },
          timeoutSeconds: 10,
        },
        probe: [{ port: haproxy.port, sni: NAME }],
      },
    ]),
  );

  for (const node of NODES) await start(node);
});

describe('three agents in front of Java, nginx and HAProxy', () => {
  const certificates = () => certificateConfigFor(stack(), CERT, [NAME]);

  it('after a renewal every port serves the new certificate', async () => {
    const t0 = performance.now();
    await forceRenewal(stack(), certificates());
    const { revision, serial } = await currentSerial();
    await expectEveryNodeAt(revision);
    const convergedMs = performance.now() - t0;
    expect(await servedSerials()).toEqual({ java: serial, nginx: serial, haproxy: serial });

    // A second renewal: the daemons pick the event up from their queues.
    const t1 = performance.now();
    await forceRenewal(stack(), certificates());
    const next = await currentSerial();
    expect(next.revision).toBe(revision + 1);
    await expectEveryNodeAt(next.revision);
    const secondMs = performance.now() - t1;
    expect(await servedSerials()).toEqual({ java: next.serial, nginx: next.serial, haproxy: next.serial });
    console.log(
      `[fleet] renewal → 3 nodes serving: ${Math.round(convergedMs)} ms, then ${Math.round(secondMs)} ms`,
    );
  });

  it('a duplicate and an older event change nothing', async () => {
    const { revision, serial } = await currentSerial();
    const before = await Promise.all(NODES.map(async (n) => (await stat(watched.get(n) ?? '')).mtimeMs));
    const statusBefore = await nodeStatuses(stack(), CERT);
    const clients = createAwsClients(stack().clientConfigs);
    try {
      const events = new SnsEventPublisher(clients.sns, stack().resources.topicArn);
      for (const r of [revision, revision - 1, 1])
        await events.publish({
          type: 'certificate.revision_published',
          certificateId: CERT,
          revision: r,
          groups: ['web'],
          nodes: [],
          dmz: [],
        });
    } finally {
      clients.destroy();
    }
    // Give the daemons time to receive and judge the three events.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await Promise.all(NODES.map(async (n) => (await stat(watched.get(n) ?? '')).mtimeMs));
    expect(after).toEqual(before);
    expect((await nodeStatuses(stack(), CERT)).map((s) => s.updatedAt)).toEqual(
      statusBefore.map((s) => s.updatedAt),
    );
    expect(await servedSerials()).toEqual({ java: serial, nginx: serial, haproxy: serial });
  });

  it('an agent stopped during an event catches up on start', async () => {
    const down = agents.get('nginx');
    await down?.stop();
    down?.runtime.close();
    agents.delete('nginx');

    await forceRenewal(stack(), certificates());
    const { revision, serial } = await currentSerial();
    await expectEveryNodeAt(revision, ['java', 'haproxy']);
    expect((await nodeStatuses(stack(), CERT)).find((s) => s.nodeId === 'nginx')?.revisionServed).toBe(
      revision - 1,
    );

    await start('nginx');
    await expectEveryNodeAt(revision);
    expect(await servedSerials()).toEqual({ java: serial, nginx: serial, haproxy: serial });
  });
});
