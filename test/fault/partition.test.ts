/**
 * Promise: the network between nodes fails — an agent cut off from AWS for a while, a DMZ instance
 * that stops answering — and the fleet converges once it heals, while `acme-ha status` shows the
 * lag in the meantime. Everything runs on the embedded stack (Pebble issues, SNS announces to SQS).
 *
 * - Agent partitioned: three agents run as daemons (reconcile every 2 s); all of one agent's AWS
 *   endpoints (DynamoDB, S3, SQS) go through TCP fault proxies that first refuse, then black-hole
 *   (accept, never answer). Revisions 2 and 3 are renewed meanwhile. The two healthy agents reach 3;
 *   `acme-ha status --json` shows the cut-off node lagging on revision 1 with the `updatedAt` of
 *   before the partition; its keystore directory and installed record do not change; its attempts
 *   (connections at the proxies) stay bounded. Healed, it installs 3 (keystore byte-equal to S3's
 *   object, served by its Java TLS server) and status shows every node current. Nothing is lost:
 *   revisions 1..3 exist in the state table, and each SNS event of 2 and 3 either reaches it after
 *   the heal or is still in flight in its queue (a long poll cut by the partition had been handed it;
 *   it comes back after the 300 s visibility timeout — reconcile does not wait for it).
 *   The cut-off agent's SDK clients get short request timeouts (1.5 s, SQS 4 s; production: 30 s),
 *   so that a black-holed call fails within the test's window; retries and backoff are production's.
 * - DMZ instance black-holed (a fault proxy in front of its receiver): the push times out (2 s here)
 *   instead of hanging, the agent's own install is not held up, `agent sync` returns, and status shows
 *   the `dmz:<id>` row lagging and failed with DMZ_UNREACHABLE; when the receiver answers again the
 *   next retry pushes and the row is current. A receiver that is merely down (refused) is covered by
 *   test/integration/dmz/push.test.ts.
 * - Shutdown while a DMZ instance is black-holed: a standby pusher asleep before its second look is
 *   stopped; the daemon returns at once. It used to wait for ever: the receiver client added its
 *   abort listener to a signal that had already fired (fixed in https-dmz-receiver-client.ts).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClientConfigs, type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import type { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import type { S3KeystoreStore } from '../../adapters/aws/s3-keystore-store.ts';
import { InstalledRevisionFile } from '../../adapters/fs/installed-revision-file.ts';
import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { type AgentRuntime, createAgent } from '../../agent/compose-agent.ts';
import { syncOnce } from '../../core/agent/agent-loop.ts';
import type { FleetCertificate, FleetNode } from '../../core/agent/fleet-status.ts';
import type { AgentConfig } from '../../core/config/agent-config.ts';
import type { Revision } from '../../core/renewal/types.ts';
import type { DmzReceiverRuntime } from '../../dmz/compose-receiver.ts';
import { startJavaTlsServer } from '../../local/java-tls-server.ts';
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
} from '../support/agent-fleet.ts';
import { aServerPki, jksOf } from '../support/agent-keystores.ts';
import { stackStores } from '../support/agent-revisions.ts';
import { runCli } from '../support/cli.ts';
import {
  aClientIdentity,
  aReceiverIdentity,
  dmzConfigFor,
  dmzPeerFor,
  rawDmzRequest,
  startTestDmz,
} from '../support/dmz-receivers.ts';
import { type FaultProxy, type ProxyMode, startFaultProxy } from '../support/fault-proxy.ts';
import { useLocalStack } from '../support/local-stack.ts';
import { opensslHandshake } from '../support/openssl.ts';
import { tempDir } from '../support/temp-dir.ts';

const FLEET_CERT = 'part';
const FLEET_NAME = 'part.acme-ha.test';
const HEALTHY = ['p1', 'p2'] as const;
const CUT = 'p3';
const EDGE = 'edge';
const EDGE_NAME = 'edge.acme-ha.test';
const DMZ_ID = 'dmz-x';
const DMZ_ROW = `dmz:${DMZ_ID}`;
const RECONCILE_SECONDS = 2;
const DMZ_TIMEOUT_SECONDS = 2;
const POLL = { timeout: 60_000, interval: 200 } as const;

const stack = useLocalStack({ prefix: 'fault-partition', nodes: [...HEALTHY, CUT, EDGE] });
const stops: (() => Promise<void>)[] = [];
let clients: AwsClients;
let stores: { state: DynamoStateStore; keystores: S3KeystoreStore };
let base: string;

beforeAll(async () => {
  clients = createAwsClients(stack().clientConfigs);
  stores = stackStores(stack(), clients);
  base = await tempDir('acme-ha-fault-partition-');
});

afterAll(async () => {
  // Last in, first out: daemons before the proxies and servers they talk to.
  for (const stop of stops.splice(0).reverse()) await stop();
  clients?.destroy();
});

// ---------------------------------------------------------------------------------------------
// Helpers

type Store = 'dynamodb' | 's3' | 'sqs';
const STORES: readonly Store[] = ['dynamodb', 's3', 'sqs'];
type StoreProxies = Record<Store, FaultProxy>;

async function storeProxies(): Promise<StoreProxies> {
  const e = stack().endpoints;
  const proxies = {
    dynamodb: await startFaultProxy(e.dynamodb),
    s3: await startFaultProxy(e.s3),
    sqs: await startFaultProxy(e.sqs),
  };
  stops.push(() => Promise.all(STORES.map((s) => proxies[s].stop())).then(() => undefined));
  return proxies;
}

function setModes(proxies: StoreProxies, mode: ProxyMode): void {
  for (const store of STORES) proxies[store].setMode(mode);
}

function connections(proxies: StoreProxies): Record<Store, number> {
  return { dynamodb: proxies.dynamodb.connections, s3: proxies.s3.connections, sqs: proxies.sqs.connections };
}

function since(before: Record<Store, number>, after: Record<Store, number>): Record<Store, number> {
  return {
    dynamodb: after.dynamodb - before.dynamodb,
    s3: after.s3 - before.s3,
    sqs: after.sqs - before.sqs,
  };
}

function total(counts: Record<Store, number>): number {
  return counts.dynamodb + counts.s3 + counts.sqs;
}

/** The cut-off agent's SDK settings: every endpoint through a proxy, timeouts short enough for a test. */
function throughProxies(proxies: StoreProxies): AwsClientConfigs {
  const c = stack().clientConfigs;
  const handler = (requestTimeout: number) => ({
    connectionTimeout: 1_000,
    requestTimeout,
    throwOnRequestTimeout: true,
  });
  return {
    dynamodb: { ...c.dynamodb, endpoint: proxies.dynamodb.url, requestHandler: handler(1_500) },
    s3: { ...c.s3, endpoint: proxies.s3.url, requestHandler: handler(1_500) },
    // Above the long poll, which never outlasts the reconcile interval (2 s).
    sqs: { ...c.sqs, endpoint: proxies.sqs.url, requestHandler: handler(4_000) },
  };
}

function daemon(runtime: AgentRuntime): RunningAgent {
  const running = startDaemon(runtime);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await running.stop();
    runtime.close();
  };
  stops.push(stop);
  return { runtime, stop };
}

function jsonLogger(lines: string[], nodeId: string): JsonLogger {
  return new JsonLogger((l) => lines.push(l), 'agent', 'debug', { nodeId });
}

function messages(lines: readonly string[], message: string): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === message);
}

async function current(certificateId: string): Promise<Revision> {
  const revision = (await stores.state.get(certificateId)).current;
  if (!revision) throw new Error(`nothing published for ${certificateId}`);
  return revision;
}

async function renew(certificateId: string, name: string): Promise<Revision> {
  await forceRenewal(stack(), certificateConfigFor(stack(), certificateId, [name]));
  return current(certificateId);
}

async function jksBytes(revision: Revision): Promise<Buffer> {
  const key = revision.objects.find((o) => o.format === 'jks')?.key;
  if (!key) throw new Error(`revision ${revision.revision} has no JKS object`);
  return stores.keystores.get(key);
}

/** `acme-ha status --json` for one certificate, run as an operator would. */
async function statusCli(certificateId: string): Promise<FleetCertificate> {
  const result = await runCli(['status', '--certificate', certificateId, '--json'], stack().env);
  const parsed = JSON.parse(result.stdout) as { certificates: FleetCertificate[] };
  const certificate = parsed.certificates[0];
  if (!certificate) throw new Error('status printed no certificate');
  // Exit 4 with one line naming the unhealthy nodes exactly when the fleet is not healthy.
  expect(result.code).toBe(certificate.healthy ? 0 : 4);
  expect(result.stderr).toMatch(certificate.healthy ? /^$/ : /^acme-ha: the fleet is not healthy: .+\n$/);
  return certificate;
}

function row(fleet: FleetCertificate, nodeId: string): FleetNode {
  const node = fleet.nodes.find((n) => n.nodeId === nodeId);
  if (!node) throw new Error(`status has no row for ${nodeId}`);
  return node;
}

function rowsLine(fleet: FleetCertificate): string {
  return fleet.nodes
    .map((n) => `${n.nodeId}=${n.revisionOnDisk}/${n.result}${n.lagging ? '/LAGGING' : ''}`)
    .join(' ');
}

/** `nodeId:result:revisionOnDisk` of the status rows of these nodes, sorted. */
async function rowsOf(certificateId: string, nodeIds: readonly string[]): Promise<string[]> {
  return (await nodeStatuses(stack(), certificateId))
    .filter((s) => nodeIds.includes(s.nodeId))
    .map((s) => `${s.nodeId}:${s.result}:${s.revisionOnDisk}`)
    .sort();
}

function appliedAt(nodeIds: readonly string[], revision: number): string[] {
  return nodeIds.map((n) => `${n}:applied:${revision}`).sort();
}

async function statusRow(certificateId: string, nodeId: string) {
  return (await nodeStatuses(stack(), certificateId)).find((s) => s.nodeId === nodeId) ?? null;
}

/** Messages received from a node's queue and not yet deleted (invisible until their timeout). */
async function inFlight(nodeId: string): Promise<number> {
  const queue = stack().resources.queues[nodeId];
  if (!queue) throw new Error(`no queue for ${nodeId}`);
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queue.url,
      AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? Number.NaN);
}

/** Every file of a directory with its bytes (for "nothing written, nothing left behind"). */
async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    files.set(name, await readFile(path).catch(() => Buffer.from('<directory>')));
  }
  return files;
}

function sameSnapshot(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, bytes] of a) if (!b.get(name)?.equals(bytes)) return false;
  return true;
}

/**
 * An upper bound on the connections a well-behaved agent makes in a window: per reconcile
 * (every 2 s) at most three DynamoDB calls (status read, state read, status write) and two S3 calls,
 * each tried three times by the SDK, and one SQS receive per second at most (its backoff starts at
 * 1 s), also tried three times. A hot loop makes thousands.
 */
function attemptBound(windowMs: number): number {
  const seconds = windowMs / 1000;
  const reconciles = Math.ceil(seconds / RECONCILE_SECONDS) + 1;
  return reconciles * 5 * 3 + (Math.ceil(seconds) + 1) * 3;
}

// ---------------------------------------------------------------------------------------------

describe('an agent partitioned from AWS for a while', () => {
  let proxies: StoreProxies;
  const cutLog: string[] = [];
  let cutKeystore: string;
  let cutJavaPort: number;
  let rootFile: string;

  beforeAll(async () => {
    proxies = await storeProxies();
    const pebble = stack().pebble;
    if (!pebble) throw new Error('the stack runs without Pebble');
    rootFile = join(base, 'pebble-root.pem');
    await writeFile(rootFile, await pebble.rootCertificate());

    // The cut-off node serves its keystore with a real Java TLS server (reloaded over HTTP, probed).
    const cutDir = join(base, CUT, 'keystore');
    await mkdir(cutDir, { recursive: true });
    cutKeystore = join(cutDir, 'server.jks');
    await writeFile(cutKeystore, jksOf(await aServerPki({ sans: [FLEET_NAME] }), PASSWORD));
    const java = await startJavaTlsServer({
      type: 'JKS',
      keystore: cutKeystore,
      alias: 'server',
      password: PASSWORD,
    });
    stops.push(java.stop);
    cutJavaPort = java.tlsPort;

    const configFor = (node: string, target: Parameters<typeof agentConfigFor>[3][number]) => ({
      ...agentConfigFor(stack(), node, join(base, node, 'state'), [target]),
      reconcileIntervalSeconds: RECONCILE_SECONDS,
    });
    for (const node of HEALTHY) {
      await mkdir(join(base, node), { recursive: true });
      const config = configFor(node, {
        certificateId: FLEET_CERT,
        format: 'jks',
        path: join(base, node, 'server.jks'),
        alias: 'server',
        password: { env: PASSWORD_ENV },
      });
      daemon(await createTestAgent(stack(), config));
    }
    const cutConfig = configFor(CUT, {
      certificateId: FLEET_CERT,
      format: 'jks',
      path: cutKeystore,
      alias: 'server',
      password: { env: PASSWORD_ENV },
      reload: { http: { url: java.reloadUrl, method: 'POST' }, timeoutSeconds: 10 },
      probe: [{ port: java.tlsPort, sni: FLEET_NAME }],
    });
    daemon(
      await createAgent(cutConfig, {
        log: jsonLogger(cutLog, CUT),
        env: { [PASSWORD_ENV]: PASSWORD },
        clientConfigs: throughProxies(proxies),
        pollMs: 50,
      }),
    );
  });

  async function servedSerial(): Promise<string> {
    const handshake = await opensslHandshake({ port: cutJavaPort, servername: FLEET_NAME, caFile: rootFile });
    expect(handshake.verifyLine).toBe('Verify return code: 0 (ok)');
    return handshake.served[0]?.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '') ?? 'none';
  }

  it('the healthy agents go on, status shows the cut-off node lagging; healed, it converges', async () => {
    const all = [...HEALTHY, CUT];
    const first = await renew(FLEET_CERT, FLEET_NAME);
    expect(first.revision).toBe(1);
    await expect.poll(() => rowsOf(FLEET_CERT, all), POLL).toEqual(appliedAt(all, 1));
    const before = await statusRow(FLEET_CERT, CUT);
    const files = await snapshot(join(base, CUT, 'keystore'));
    expect(files.get('server.jks')?.equals(await jksBytes(first))).toBe(true);

    // The partition, first as refused connections, then silent: revisions 2 and 3 meanwhile.
    const partitionStart = new Date();
    const c0 = connections(proxies);
    const t0 = performance.now();
    setModes(proxies, 'refuse');
    const second = await renew(FLEET_CERT, FLEET_NAME);
    await expect.poll(() => rowsOf(FLEET_CERT, HEALTHY), POLL).toEqual(appliedAt(HEALTHY, 2));
    // At least one reconcile of the cut-off agent inside the refused phase.
    await new Promise((resolve) => setTimeout(resolve, RECONCILE_SECONDS * 1000 + 500));
    const c1 = connections(proxies);
    const t1 = performance.now();
    setModes(proxies, 'blackhole');
    const third = await renew(FLEET_CERT, FLEET_NAME);
    expect([second.revision, third.revision]).toEqual([2, 3]);
    await expect.poll(() => rowsOf(FLEET_CERT, HEALTHY), POLL).toEqual(appliedAt(HEALTHY, 3));

    const during = await statusCli(FLEET_CERT);
    expect(during.currentRevision).toBe(3);
    expect(during.counts).toMatchObject({ nodes: 3, current: 2, lagging: 1 });
    for (const node of HEALTHY)
      expect(row(during, node)).toMatchObject({ revisionOnDisk: 3, lagging: false });
    const cut = row(during, CUT);
    expect(cut).toMatchObject({ revisionOnDisk: 1, lagging: true, updatedAt: before?.updatedAt });
    expect(Date.parse(cut.updatedAt)).toBeLessThan(partitionStart.getTime());

    // A reconcile of the cut-off agent inside the silent phase too (a silent SQS retry holds the
    // loop for up to 3 × 4 s first), then one more interval, and look at it.
    await expect.poll(() => proxies.dynamodb.connections - c1.dynamodb, POLL).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, RECONCILE_SECONDS * 1000 + 500));
    const c2 = connections(proxies);
    const t2 = performance.now();
    expect(sameSnapshot(await snapshot(join(base, CUT, 'keystore')), files), 'keystore directory').toBe(true);
    expect((await new InstalledRevisionFile(join(base, CUT, 'state')).get(FLEET_CERT))?.revision).toBe(1);
    expect(await statusRow(FLEET_CERT, CUT)).toEqual(before);
    const refused = since(c0, c1);
    const silent = since(c1, c2);
    // It kept trying (it did not stop syncing), and it did not spin.
    expect(refused.dynamodb, 'DynamoDB attempts while refused').toBeGreaterThan(0);
    expect(silent.dynamodb, 'DynamoDB attempts while silent').toBeGreaterThan(0);
    expect(total(refused)).toBeLessThanOrEqual(attemptBound(t1 - t0));
    expect(total(silent)).toBeLessThanOrEqual(attemptBound(t2 - t1));
    expect(messages(cutLog, 'sync failed').length).toBeGreaterThan(0);

    // Healed: calls in flight on silent sockets time out first, then it catches up.
    setModes(proxies, 'on');
    const healed = performance.now();
    const newest = await jksBytes(third);
    await expect.poll(async () => (await readFile(cutKeystore)).equals(newest), POLL).toBe(true);
    await expect.poll(() => rowsOf(FLEET_CERT, all), POLL).toEqual(appliedAt(all, 3));
    const convergedMs = performance.now() - healed;
    expect(await servedSerial()).toBe(third.serial);
    // Nothing lost on the way: each SNS event of revisions 2 and 3 either reached it after the heal,
    // or is in flight in its queue — handed to the long poll that the partition cut (SQS cannot
    // know the answer was lost), it comes back after the visibility timeout (300 s).
    const events = async () => {
      const received = new Set(
        messages(cutLog, 'event received')
          .map((m) => m.revision)
          .filter((r) => r === 2 || r === 3),
      );
      return { received: [...received].sort(), inFlight: await inFlight(CUT) };
    };
    await expect
      .poll(async () => {
        const e = await events();
        return e.received.length + e.inFlight;
      }, POLL)
      .toBe(2);
    const delivered = await events();

    const after = await statusCli(FLEET_CERT);
    expect(after.counts).toMatchObject({ nodes: 3, current: 3, lagging: 0, failed: 0 });
    expect(after.nodes.every((n) => n.revisionOnDisk === 3 && !n.lagging)).toBe(true);
    expect(Date.parse(row(after, CUT).updatedAt)).toBeGreaterThan(partitionStart.getTime());
    for (let r = 1; r <= 3; r++)
      expect(await stores.state.getRevision(FLEET_CERT, r), `revision ${r}`).not.toBeNull();

    console.log(
      `[fault] partition: ${CUT} cut off from DynamoDB/S3/SQS for ${Math.round(t2 - t0)} ms ` +
        `(refused ${Math.round(t1 - t0)} ms: ${JSON.stringify(refused)} connections, bound ${attemptBound(t1 - t0)}; ` +
        `silent ${Math.round(t2 - t1)} ms: ${JSON.stringify(silent)}, bound ${attemptBound(t2 - t1)}); ` +
        `status during: ${rowsLine(during)} (${CUT} updatedAt ${cut.updatedAt}); ` +
        `converged to 3 in ${Math.round(convergedMs)} ms after heal; events received after heal ` +
        `${JSON.stringify(delivered.received)}, in flight ${delivered.inFlight}; status after: ${rowsLine(after)}`,
    );
  }, 240_000);
});

describe('a DMZ instance that stops answering for a while', () => {
  let proxy: FaultProxy;
  let receiver: DmzReceiverRuntime;
  let receiverKeystore: string;
  let edgeConfig: AgentConfig;
  const edgeLog: string[] = [];
  let client: Awaited<ReturnType<typeof aClientIdentity>>;

  beforeAll(async () => {
    const dir = join(base, DMZ_ID);
    await mkdir(dir, { recursive: true });
    client = await aClientIdentity(join(base, 'identities-edge'), EDGE);
    const identity = await aReceiverIdentity(dir, 'receiver');
    receiverKeystore = join(dir, 'server.jks');
    receiver = await startTestDmz(
      dmzConfigFor({
        id: DMZ_ID,
        stateDirectory: join(dir, 'state'),
        receiver: identity,
        trusted: [client],
        pinned: [client],
        targets: [
          {
            certificateId: EDGE,
            format: 'jks',
            path: receiverKeystore,
            alias: 'server',
            password: { env: PASSWORD_ENV },
          },
        ],
      }),
    );
    stops.push(() => receiver.stop());
    proxy = await startFaultProxy(`http://127.0.0.1:${receiver.receiver.port}`);
    stops.push(() => proxy.stop());

    const own = join(base, EDGE, 'pem');
    await mkdir(own, { recursive: true });
    edgeConfig = {
      ...agentConfigFor(stack(), EDGE, join(base, EDGE, 'state'), [
        { certificateId: EDGE, format: 'pem', path: own },
      ]),
      reconcileIntervalSeconds: RECONCILE_SECONDS,
      dmz: [
        {
          ...dmzPeerFor({ id: DMZ_ID, port: proxy.port, receiver: identity, client, certificates: [EDGE] }),
          timeoutSeconds: DMZ_TIMEOUT_SECONDS,
        },
      ],
    };
  });

  async function receiverRevision(): Promise<number | null> {
    const answer = await rawDmzRequest({
      port: receiver.receiver.port,
      path: `/v1/revisions/${EDGE}`,
      client,
    });
    return answer.body.revision as number | null;
  }

  it('black-holed: the push times out, status shows the row lagging and failed; answering again, it is current', async () => {
    const first = await renew(EDGE, EDGE_NAME);
    const edge = daemon(await createTestAgent(stack(), edgeConfig, edgeLog));
    await expect
      .poll(async () => (await statusRow(EDGE, DMZ_ROW))?.revisionOnDisk, POLL)
      .toBe(first.revision);

    const c0 = proxy.connections;
    const t0 = performance.now();
    proxy.setMode('blackhole');
    const next = await renew(EDGE, EDGE_NAME);
    // The node's own install is not held up by the silent receiver.
    await expect.poll(() => rowsOf(EDGE, [EDGE]), POLL).toEqual(appliedAt([EDGE], next.revision));
    await expect.poll(async () => (await statusRow(EDGE, DMZ_ROW))?.errorCode, POLL).toBe('DMZ_UNREACHABLE');

    // `agent sync` against the silent receiver returns: the push gave up after its timeout.
    const once = await createTestAgent(stack(), edgeConfig);
    let sync: Awaited<ReturnType<typeof syncOnce>>;
    try {
      sync = await syncOnce(once.deps, once.options);
    } finally {
      once.close();
    }
    const pushReport = sync.dmz?.[0];
    expect(pushReport).toMatchObject({ dmzId: DMZ_ID, result: 'unreachable', revision: next.revision });
    expect(pushReport?.error).toMatch(/timed out/);

    const during = await statusCli(EDGE);
    expect(row(during, EDGE)).toMatchObject({ revisionOnDisk: next.revision, lagging: false });
    const dmzRow = row(during, DMZ_ROW);
    expect(dmzRow).toMatchObject({
      kind: 'dmz',
      revisionOnDisk: first.revision,
      lagging: true,
      failed: true,
      result: 'failed',
      errorCode: 'DMZ_UNREACHABLE',
    });
    expect(dmzRow.failingSince).not.toBeNull();
    expect(await receiverRevision()).toBe(first.revision);
    const silentMs = performance.now() - t0;
    const attempts = proxy.connections - c0;
    // Each attempt waits out the 2 s timeout, then backs off (0.2–1 s): no hot loop.
    expect(attempts).toBeGreaterThan(0);
    expect(attempts).toBeLessThanOrEqual(Math.ceil(silentMs / (DMZ_TIMEOUT_SECONDS * 1000)) + 3);
    const timeouts = messages(edgeLog, 'dmz push failed').filter((m) => /timed out/.test(String(m.error)));
    expect(timeouts.length).toBeGreaterThan(0);

    proxy.setMode('on');
    const healed = performance.now();
    await expect.poll(async () => (await statusRow(EDGE, DMZ_ROW))?.revisionOnDisk, POLL).toBe(next.revision);
    const convergedMs = performance.now() - healed;
    const after = await statusCli(EDGE);
    expect(row(after, DMZ_ROW)).toMatchObject({
      result: 'applied',
      lagging: false,
      failed: false,
      errorCode: null,
    });
    expect(after.counts).toMatchObject({ lagging: 0, failed: 0 });
    expect(await receiverRevision()).toBe(next.revision);
    expect((await readFile(receiverKeystore)).equals(await jksBytes(next))).toBe(true);
    await edge.stop();

    console.log(
      `[fault] dmz black-holed for ${Math.round(silentMs)} ms: ${attempts} connection attempts ` +
        `(timeout ${DMZ_TIMEOUT_SECONDS} s), agent sync returned in ${Math.round(pushReport?.durationMs ?? -1)} ms ` +
        `with ${pushReport?.result}; status during: ${rowsLine(during)}; ` +
        `current ${Math.round(convergedMs)} ms after it answered again; status after: ${rowsLine(after)}`,
    );
  }, 180_000);

  it('a standby pusher shut down while the receiver is silent stops at once', async () => {
    const standbyConfig: AgentConfig = {
      ...edgeConfig,
      dmz: edgeConfig.dmz.map((p) => ({ ...p, standbySeconds: 30 })),
    };
    const standby = daemon(await createTestAgent(stack(), standbyConfig));
    const installedBefore = await receiverRevision();
    const next = await renew(EDGE, EDGE_NAME);
    await expect.poll(() => rowsOf(EDGE, [EDGE]), POLL).toEqual(appliedAt([EDGE], next.revision));
    // The pusher asked the receiver (behind) and now waits 30 s before asking again; wait until
    // the proxy is quiet, i.e. that first look is over.
    let seen = -1;
    for (let i = 0; i < 40 && seen !== proxy.connections; i++) {
      seen = proxy.connections;
      await new Promise((resolve) => setTimeout(resolve, RECONCILE_SECONDS * 1000 + 500));
    }
    expect(await receiverRevision()).toBe(installedBefore);

    proxy.setMode('blackhole');
    const t0 = performance.now();
    const outcome = await Promise.race([
      standby.stop().then(() => 'stopped' as const),
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 20_000)),
    ]);
    const stopMs = performance.now() - t0;
    proxy.setMode('on');
    expect(outcome).toBe('stopped');
    console.log(
      `[fault] dmz silent at shutdown: a standby pusher (30 s) stopped in ${Math.round(stopMs)} ms; ` +
        `receiver left on ${installedBefore} (revision ${next.revision} waits for the next start)`,
    );
  }, 120_000);
});
