/**
 * Promise: an announcement that never arrives loses nothing, and a store failing in the middle of a
 * rolling reload leaves nothing half-done. The real embedded stack (dynalite, s3rver, local SQS, our
 * SNS stand-in, Pebble), with the SNS stand-in or DynamoDB behind a TCP fault proxy.
 *
 * - SNS refusing while Pebble issues and the renewer publishes N revisions: each run still stores
 *   the objects, the revision record and the state pointer and ends `renewed`; the SNS failure is
 *   logged (`event not published`), is not persisted as a renewal failure and triggers no new order;
 *   the SDK gives up after its own attempts (no hot retry). Agent daemons that never got an event
 *   converge by reconcile (interval 2 s here) on revision N, byte-equal to S3's objects, and
 *   revisions 1..N all exist.
 * - SNS black-holing (accepts, never answers): the SNS client's request timeout bounds the renewal
 *   (the test shortens the 30 s production timeout, like store-outage.test.ts does for S3); the
 *   revision is published, the lease released, the daemons converge.
 * - DynamoDB refusing for three agents in a rolling reload (maxParallel 1), from the moment the canary
 *   promoted the rollout — the canary still holds the only rollout slot, the other two wait for it:
 *   no node writes anything while the store is down (every node's PEM files stay one whole revision,
 *   the canary's new one or the others' old one); when the store returns the canary's slot lease
 *   expires (slotTtlSeconds 3 here), the others apply one at a time, and every node's status shows
 *   the newest revision on disk, without an error. The canary's own sync counts as `applied` (its
 *   slot release and its report are best-effort), and a failure report that reached the store as it
 *   came back is cleared by the next reconcile (both fixed in core/agent/sync/).
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoNodeStatusStore } from '../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoRolloutStore } from '../../adapters/aws/dynamo-rollout-store.ts';
import type { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import type { S3KeystoreStore } from '../../adapters/aws/s3-keystore-store.ts';
import { SnsEventPublisher } from '../../adapters/aws/sns-event-publisher.ts';
import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { type AgentRuntime, createAgent } from '../../agent/compose-agent.ts';
import type { SyncOutcome } from '../../core/agent/sync/outcome.ts';
import type { AgentConfig } from '../../core/config/agent-config.ts';
import type { NodeStatus } from '../../core/ports/node-status-store.ts';
import type { RolloutStore } from '../../core/ports/rollout-store.ts';
import { runRenewals } from '../../core/renewal/run-renewals.ts';
import type { Revision } from '../../core/renewal/types.ts';
import { lockKey } from '../../core/table-keys.ts';
import {
  agentConfigFor,
  certificateConfigFor,
  createTestAgent,
  nodeStatuses,
  PASSWORD,
  PASSWORD_ENV,
  type RunningAgent,
  startDaemon,
} from '../support/agent-fleet.ts';
import { aServerPki } from '../support/agent-keystores.ts';
import { publishRevision, stackStores } from '../support/agent-revisions.ts';
import { faultPlane } from '../support/fault-control-plane.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { useLocalStack } from '../support/local-stack.ts';
import { tempDir } from '../support/temp-dir.ts';

const SNS_NODES = ['n1', 'n2'];
const ROLLING_NODES = ['r1', 'r2', 'r3'];
const stack = useLocalStack({ prefix: 'fault-sns', nodes: [...SNS_NODES, ...ROLLING_NODES] });
let proxies: { sns: FaultProxy; dynamodb: FaultProxy };
let clients: AwsClients;
let stores: { state: DynamoStateStore; keystores: S3KeystoreStore };
let base: string;

beforeAll(async () => {
  const e = stack().endpoints;
  proxies = { sns: await startFaultProxy(e.sns), dynamodb: await startFaultProxy(e.dynamodb) };
  clients = createAwsClients(stack().clientConfigs);
  stores = stackStores(stack(), clients);
  base = await tempDir('acme-ha-fault-sns-');
});

afterAll(async () => {
  clients?.destroy();
  await Promise.all(Object.values(proxies ?? {}).map((p) => p.stop()));
});

interface LogEntry {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

function entries(lines: readonly string[]): LogEntry[] {
  return lines.map((line) => JSON.parse(line) as LogEntry);
}

/** Polls `check` every `intervalMs` until it holds or `timeoutMs` passed; returns the time it took. */
async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100) {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return Math.round(performance.now() - t0);
}

/** S3's bytes of every object of a revision, by object name. */
async function objectsOf(certificateId: string, revision: number): Promise<Map<string, Buffer>> {
  const record = await stores.state.getRevision(certificateId, revision);
  if (!record) throw new Error(`${certificateId}: no revision ${revision}`);
  const bytes = new Map<string, Buffer>();
  for (const object of record.objects) bytes.set(object.name, await stores.keystores.get(object.key));
  return bytes;
}

/** Revisions 1..newest each have a record whose objects are in S3, and the pointer is on the newest. */
async function expectEveryRevision(certificateId: string, newest: number): Promise<void> {
  expect((await stores.state.get(certificateId)).current?.revision).toBe(newest);
  for (let r = 1; r <= newest; r++) {
    const record = (await stores.state.getRevision(certificateId, r)) as Revision | null;
    expect(record, `revision ${r}`).not.toBeNull();
    const objects = await objectsOf(certificateId, r);
    expect(objects.size, `revision ${r}`).toBe(record?.objects.length);
  }
}

describe('SNS failing while the renewer publishes', () => {
  const CERT = 'sns-down';
  const agents: { node: string; running: RunningAgent; keystore: string; lines: string[] }[] = [];
  const certificates = () => certificateConfigFor(stack(), CERT, [`${CERT}.acme-ha.test`]);

  /** The renewer with its SNS client through the proxy (and a short request timeout when given). */
  function planeThroughSnsProxy(owner: string, lines: string[], requestTimeoutMs?: number) {
    const sns = stack().clientConfigs.sns;
    const orders: string[] = [];
    const p = faultPlane(stack(), {
      owner,
      log: new JsonLogger((l) => lines.push(l), 'renewer', 'debug'),
      env: { [PASSWORD_ENV]: PASSWORD },
      onOrder: (r) => orders.push(r.certificateId),
      clientConfigs: {
        sns: {
          ...sns,
          endpoint: proxies.sns.url,
          ...(requestTimeoutMs
            ? {
                requestHandler: {
                  connectionTimeout: 1_000,
                  requestTimeout: requestTimeoutMs,
                  throwOnRequestTimeout: true,
                },
              }
            : {}),
        },
      },
    });
    return { ...p, orders };
  }

  /** Revisions named in the renewer's `event not published` errors. */
  function unannounced(lines: readonly string[]): unknown[] {
    return entries(lines)
      .filter((e) => e.level === 'ERROR' && e.message === 'event not published')
      .map((e) => e.revision);
  }

  /** Waits for every daemon to install `revision`; returns the longest time from publication to install. */
  async function expectAgentsOn(revision: number): Promise<number> {
    const installed = () => Promise.all(agents.map((a) => a.running.runtime.deps.installed.get(CERT)));
    await waitUntil(async () => (await installed()).every((i) => i?.revision === revision), 30_000);
    const jks = (await objectsOf(CERT, revision)).get(`${CERT}.jks`);
    for (const a of agents)
      expect((await readFile(a.keystore)).equals(jks ?? Buffer.alloc(0)), a.node).toBe(true);
    const publishedAt = Date.parse((await stores.state.getRevision(CERT, revision))?.createdAt ?? '');
    return Math.max(...(await installed()).map((i) => Date.parse(i?.installedAt ?? '') - publishedAt));
  }

  beforeAll(async () => {
    for (const node of SNS_NODES) {
      const dir = join(base, node);
      await mkdir(dir, { recursive: true });
      const keystore = join(dir, 'server.jks');
      const config: AgentConfig = {
        ...agentConfigFor(stack(), node, join(dir, 'state'), [
          {
            certificateId: CERT,
            format: 'jks',
            path: keystore,
            alias: 'server',
            password: { env: PASSWORD_ENV },
          },
        ]),
        reconcileIntervalSeconds: 2,
      };
      const lines: string[] = [];
      agents.push({
        node,
        running: startDaemon(await createTestAgent(stack(), config, lines)),
        keystore,
        lines,
      });
    }
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.running.stop().then(() => a.running.runtime.close())));
  });

  it('SNS refusing: every revision published and renewed, the failure logged, daemons converge by reconcile', async () => {
    const RENEWALS = 3;
    const lines: string[] = [];
    const p = planeThroughSnsProxy('sns-refused', lines);
    const maxAttempts = await p.clients.sns.config.maxAttempts();
    proxies.sns.setMode('refuse');
    const before = proxies.sns.connections;
    const t0 = performance.now();
    try {
      for (let i = 1; i <= RENEWALS; i++) {
        const { outcomes } = await runRenewals(certificates(), p.plane, { force: true });
        expect(outcomes).toEqual([expect.objectContaining({ result: 'renewed', revision: i })]);
      }
      const attempts = proxies.sns.connections - before;
      // Not hot: the SDK's own attempts per announcement, then the renewer moves on.
      expect(attempts).toBeGreaterThanOrEqual(RENEWALS);
      expect(attempts).toBeLessThanOrEqual(RENEWALS * maxAttempts);
      expect(unannounced(lines)).toEqual([1, 2, 3]);
      // Not a renewal failure: nothing persisted, no backoff, and the next scheduled run orders nothing.
      expect((await stores.state.get(CERT)).failure).toBeNull();
      const again = await runRenewals(certificates(), p.plane);
      expect(again.outcomes).toEqual([expect.objectContaining({ result: 'skipped', reason: 'not-due' })]);
      expect(p.orders).toHaveLength(RENEWALS);
      const renewMs = Math.round(performance.now() - t0);
      await expectEveryRevision(CERT, RENEWALS);
      const convergeMs = await expectAgentsOn(RENEWALS);
      // Reconcile did it: no agent received an event.
      for (const a of agents)
        expect(
          entries(a.lines).filter((e) => e.message === 'event received'),
          a.node,
        ).toEqual([]);
      console.log(
        `[fault] SNS refusing: ${RENEWALS} renewals renewed in ${renewMs} ms, ${attempts} SNS connection attempts ` +
          `(SDK maxAttempts ${maxAttempts}), ${unannounced(lines).length} 'event not published' errors; ` +
          `${agents.length} daemons on revision ${RENEWALS} by reconcile within ${convergeMs} ms of its publication`,
      );
    } finally {
      proxies.sns.setMode('on');
      p.close();
    }
  }, 120_000);

  it('SNS black-holing: the request timeout bounds the renewal; published, lease released, daemons converge', async () => {
    const REQUEST_TIMEOUT_MS = 1_500;
    const lines: string[] = [];
    const p = planeThroughSnsProxy('sns-silent', lines, REQUEST_TIMEOUT_MS);
    const maxAttempts = await p.clients.sns.config.maxAttempts();
    const revision = ((await stores.state.get(CERT)).current?.revision ?? 0) + 1;
    proxies.sns.setMode('blackhole');
    const before = proxies.sns.connections;
    try {
      const t0 = performance.now();
      const { outcomes } = await runRenewals(certificates(), p.plane, { force: true });
      const renewMs = Math.round(performance.now() - t0);
      const attempts = proxies.sns.connections - before;
      expect(outcomes).toEqual([expect.objectContaining({ result: 'renewed', revision })]);
      expect(unannounced(lines)).toEqual([revision]);
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(attempts).toBeLessThanOrEqual(maxAttempts);
      const { Item } = await clients.documents.send(
        new GetCommand({ TableName: stack().resources.tableName, Key: lockKey(`certificate/${CERT}`) }),
      );
      expect(Item, 'the lease was not released').toBeUndefined();
      await expectEveryRevision(CERT, revision);
      const convergeMs = await expectAgentsOn(revision);
      console.log(
        `[fault] SNS black-holing: renewal of revision ${revision} returned after ${renewMs} ms ` +
          `(${attempts} attempts × ${REQUEST_TIMEOUT_MS} ms request timeout; production 30 s each), ` +
          `lease released; daemons on revision ${revision} by reconcile within ${convergeMs} ms of its publication`,
      );
    } finally {
      proxies.sns.setMode('on');
      p.close();
    }
  }, 120_000);
});

describe('DynamoDB failing in the middle of a rolling reload', () => {
  const CERT = 'rolling-outage';
  const PEM_NAMES = ['fullchain.pem', 'privkey.pem'] as const;
  const TARGET = 2;

  interface RollingNode {
    readonly node: string;
    readonly dir: string;
    readonly running: RunningAgent;
    readonly lines: string[];
    readonly outcomes: { readonly outcome: SyncOutcome; readonly at: number }[];
  }

  interface Fault {
    readonly canary: string;
    readonly at: number;
  }

  /** The rollout store, calling `trip` right after a canary promoted revision `revision`. */
  function trippingAfterPromote(
    rollouts: RolloutStore,
    revision: number,
    trip: (node: string) => void,
  ): RolloutStore {
    return {
      join: (request) => rollouts.join(request),
      get: (id, r) => rollouts.get(id, r),
      takeOver: (request) => rollouts.takeOver(request),
      halt: (id, r, node, reason, now) => rollouts.halt(id, r, node, reason, now),
      served: (id, r, node, now) => rollouts.served(id, r, node, now),
      promote: async (id, r, node, now) => {
        const promoted = await rollouts.promote(id, r, node, now);
        if (r === revision) trip(node);
        return promoted;
      },
    };
  }

  /** A daemon on PEM files (reload `true`, no probe), its DynamoDB through the proxy, reconcile 2 s. */
  async function startRollingNode(node: string, trip: (node: string) => void): Promise<RollingNode> {
    const dir = join(base, node);
    await mkdir(dir, { recursive: true });
    const target = {
      certificateId: CERT,
      format: 'pem' as const,
      path: dir,
      files: [...PEM_NAMES],
      reload: { command: ['true'], timeoutSeconds: 10 },
    };
    const config: AgentConfig = {
      ...agentConfigFor(stack(), node, join(base, `${node}-state`), [target], {
        maxParallel: 1,
        slotTtlSeconds: 3,
      }),
      reconcileIntervalSeconds: 2,
    };
    const lines: string[] = [];
    const outcomes: RollingNode['outcomes'] = [];
    const runtime: AgentRuntime = await createAgent(config, {
      log: new JsonLogger((l) => lines.push(l), 'agent', 'debug', { nodeId: node }),
      env: { [PASSWORD_ENV]: PASSWORD },
      // Only DynamoDB (revisions, rollout record, slot leases, node status) goes through the proxy.
      clientConfigs: {
        ...stack().clientConfigs,
        dynamodb: { ...stack().clientConfigs.dynamodb, endpoint: proxies.dynamodb.url },
      },
      observer: { onSync: (outcome) => outcomes.push({ outcome, at: performance.now() }) },
      pollMs: 50,
    });
    const deps = { ...runtime.deps, rollouts: trippingAfterPromote(runtime.deps.rollouts, TARGET, trip) };
    return { node, dir, running: startDaemon({ ...runtime, deps }), lines, outcomes };
  }

  /** The revision all of whose PEM files lie in `dir`, or 'mixed'. */
  async function revisionOnDisk(
    dir: string,
    revisions: ReadonlyMap<number, Map<string, Buffer>>,
  ): Promise<number | 'mixed'> {
    const onDisk = await Promise.all(PEM_NAMES.map((name) => readFile(join(dir, name))));
    for (const [revision, objects] of revisions) {
      const same = PEM_NAMES.every((name, i) => objects.get(name)?.equals(onDisk[i] ?? Buffer.alloc(0)));
      if (same) return revision;
    }
    return 'mixed';
  }

  async function installedEverywhere(nodes: readonly RollingNode[], revision: number): Promise<boolean> {
    const installed = await Promise.all(nodes.map((n) => n.running.runtime.deps.installed.get(CERT)));
    return installed.every((i) => i?.revision === revision);
  }

  /** Every node reports `revision` on disk and aimed at, without an error. */
  async function statusesCurrent(nodes: readonly RollingNode[], revision: number): Promise<boolean> {
    const statuses = await nodeStatuses(stack(), CERT);
    return (
      statuses.length === nodes.length &&
      statuses.every(
        (s) =>
          ['applied', 'unchanged'].includes(s.result) &&
          s.revisionOnDisk === revision &&
          s.targetRevision === revision &&
          s.errorCode === null,
      )
    );
  }

  /** The waiting nodes reloaded one after the other once the store was back (maxParallel 1). */
  function expectOneAtATime(statuses: readonly NodeStatus[], canary: string): void {
    const windows = statuses
      .filter((s) => s.nodeId !== canary)
      .map((s) => ({
        node: s.nodeId,
        start: Date.parse(s.reloadStartedAt ?? ''),
        end: Date.parse(s.reloadFinishedAt ?? ''),
      }))
      .sort((a, b) => a.start - b.start);
    expect(windows).toHaveLength(ROLLING_NODES.length - 1);
    for (const [i, w] of windows.entries()) {
      expect(w.end, w.node).toBeGreaterThanOrEqual(w.start);
      const before = windows[i - 1];
      if (before)
        expect(w.start, `${w.node} started before ${before.node} finished`).toBeGreaterThanOrEqual(
          before.end,
        );
    }
  }

  /** What a sync that failed to read the state, but got its report through, leaves behind. */
  function staleFailure(nodeId: string, onDisk: number): NodeStatus {
    const now = new Date().toISOString();
    return {
      certificateId: CERT,
      nodeId,
      result: 'failed',
      revisionOnDisk: onDisk,
      revisionServed: null,
      servedSerial: null,
      targetRevision: null,
      errorCode: 'UNEXPECTED',
      error: 'read ECONNRESET',
      updatedAt: now,
      failingSince: now,
      reloadStartedAt: null,
      reloadFinishedAt: null,
    };
  }

  /** Revision 2 published and announced the way the renewer does: every daemon syncs at once. */
  async function publishAndAnnounce(): Promise<void> {
    await publishRevision(stores, CERT, await aServerPki());
    await new SnsEventPublisher(clients.sns, stack().resources.topicArn).publish({
      type: 'certificate.revision_published',
      certificateId: CERT,
      revision: TARGET,
      groups: ['web'],
      nodes: [],
      dmz: [],
    });
  }

  /**
   * While DynamoDB refuses: samples every node's files until each waiting node has failed two syncs.
   * @returns what each node showed, and how many rounds
   */
  async function sampleWhileDown(
    nodes: readonly RollingNode[],
    fault: Fault,
    revisions: ReadonlyMap<number, Map<string, Buffer>>,
  ) {
    const seen = new Map(nodes.map((n) => [n.node, new Set<number | 'mixed'>()]));
    let rounds = 0;
    const failedSince = (n: RollingNode) =>
      n.outcomes.filter((o) => o.at >= fault.at && o.outcome.result === 'failed').length;
    const waiting = nodes.filter((n) => n.node !== fault.canary);
    const ms = await waitUntil(
      async () => {
        for (const n of nodes) seen.get(n.node)?.add(await revisionOnDisk(n.dir, revisions));
        rounds++;
        return waiting.every((n) => failedSince(n) >= 2);
      },
      30_000,
      25,
    );
    return { seen, rounds, ms };
  }

  it('after the canary promoted: nothing written while down, every node current when the store returns', async () => {
    let fault: Fault | null = null;
    const trip = (canary: string) => {
      if (fault) return;
      proxies.dynamodb.setMode('refuse');
      fault = { canary, at: performance.now() };
    };
    const nodes: RollingNode[] = [];
    try {
      await publishRevision(stores, CERT, await aServerPki());
      for (const node of ROLLING_NODES) nodes.push(await startRollingNode(node, trip));
      await waitUntil(() => installedEverywhere(nodes, 1), 30_000);

      await publishAndAnnounce();
      const revisions = new Map([
        [1, await objectsOf(CERT, 1)],
        [TARGET, await objectsOf(CERT, TARGET)],
      ]);
      await waitUntil(() => fault !== null, 30_000, 20);
      const tripped = fault as Fault | null;
      if (!tripped) throw new Error('no canary promoted');
      const canary = nodes.find((n) => n.node === tripped.canary);
      const connectionsAtFault = proxies.dynamodb.connections;
      const down = await sampleWhileDown(nodes, tripped, revisions);
      const attemptsWhileDown = proxies.dynamodb.connections - connectionsAtFault;
      proxies.dynamodb.setMode('on');

      // Nothing half, nothing new: the canary shows revision 2 whole, the others revision 1 whole.
      for (const n of nodes)
        expect([...(down.seen.get(n.node) ?? [])], n.node).toEqual([n === canary ? TARGET : 1]);
      // The canary's sync applied: its slot and its report could not reach DynamoDB, the install stands.
      expect(canary?.outcomes.find((o) => o.at >= tripped.at)?.outcome).toMatchObject({
        result: 'applied',
        installedRevision: TARGET,
      });
      const canaryLog = entries(canary?.lines ?? []).map((e) => e.message);
      expect(canaryLog).toContain('rollout slot not released');
      expect(canaryLog).toContain('status not written');

      const convergeMs = await waitUntil(() => statusesCurrent(nodes, TARGET), 60_000, 200);
      for (const n of nodes) {
        expect((await n.running.runtime.deps.installed.get(CERT))?.revision, n.node).toBe(TARGET);
        expect(await revisionOnDisk(n.dir, revisions), n.node).toBe(TARGET);
        expect(
          (await readdir(n.dir)).filter((f) => f.endsWith('.tmp')),
          n.node,
        ).toEqual([]);
      }
      expectOneAtATime(await nodeStatuses(stack(), CERT), tripped.canary);
      const rollouts = new DynamoRolloutStore(clients.documents, stack().resources.tableName);
      expect(await rollouts.get(CERT, TARGET)).toMatchObject({
        state: 'complete',
        canary: tripped.canary,
        maxParallel: 1,
      });
      await expectEveryRevision(CERT, TARGET);

      // A failure report that reached the store as it came back (a sync whose read failed and whose
      // report got through; seen in about one run in four) is cleared by the next reconcile.
      await new DynamoNodeStatusStore(clients.documents, stack().resources.tableName).put(
        staleFailure(tripped.canary, TARGET),
      );
      const clearedMs = await waitUntil(() => statusesCurrent(nodes, TARGET), 30_000, 200);
      console.log(
        `[fault] DynamoDB refusing after canary ${tripped.canary} promoted revision ${TARGET}: down ` +
          `${down.ms} ms, ${down.rounds} samples × ${nodes.length} nodes, none mixed, none written; ` +
          `${attemptsWhileDown} DynamoDB connection attempts while down; every node current ` +
          `${convergeMs} ms after the store returned (slot TTL 3 s); a stale failure status cleared in ${clearedMs} ms`,
      );
    } finally {
      proxies.dynamodb.setMode('on');
      await Promise.all(nodes.map((n) => n.running.stop().then(() => n.running.runtime.close())));
    }
  }, 150_000);
});
