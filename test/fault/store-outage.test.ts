/**
 * Promise: the stores fail and nothing half-done becomes visible. DynamoDB, S3 and SQS sit behind
 * TCP proxies that refuse (and cut open keep-alive sockets) or black-hole at chosen moments of a
 * renewal and of a sync.
 *
 * - S3 down after the CA issued: the renewal fails cleanly, no revision is visible, the failure and
 *   its backoff are persisted; when S3 is back the next (forced) run publishes revision 1.
 * - DynamoDB down between the S3 puts and the publish: no revision is visible (objects without a
 *   record are invisible), the run fails; the lease outlives the outage (release failed too).
 * - S3 or DynamoDB down during a node's sync: nothing is written, the installed revision stays,
 *   the next sync converges; SQS down for a while: the daemon backs off, revisions published
 *   meanwhile are picked up by reconcile; in the end every node is on the newest revision and every
 *   revision number 1..N exists in the state record.
 * - S3 silent (accepts, never answers): the request times out and the sync fails cleanly
 *   (the SDK clients have no request timeout).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import type { S3KeystoreStore } from '../../adapters/aws/s3-keystore-store.ts';
import { type AgentRuntime, createAgent } from '../../agent/compose-agent.ts';
import { reconcileAll, runAgent } from '../../core/agent/agent-loop.ts';
import { parseConfig } from '../../core/config/parse-config.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { RENEWAL_LEASE_MS } from '../../core/renewal/renew-certificate.ts';
import { runRenewals } from '../../core/renewal/run-renewals.ts';
import { lockKey } from '../../core/table-keys.ts';
import { agentConfigFor, PASSWORD, PASSWORD_ENV } from '../support/agent-fleet.ts';
import { aServerPki } from '../support/agent-keystores.ts';
import { publishRevision, stackStores } from '../support/agent-revisions.ts';
import { faultPlane } from '../support/fault-control-plane.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { useLocalStack } from '../support/local-stack.ts';
import { tempDir } from '../support/temp-dir.ts';

const stack = useLocalStack({ prefix: 'fault-stores', nodes: ['s1', 's2'] });
let proxies: { dynamodb: FaultProxy; s3: FaultProxy; sqs: FaultProxy };
let clients: AwsClients;
let base: string;

beforeAll(async () => {
  const e = stack().endpoints;
  proxies = {
    dynamodb: await startFaultProxy(e.dynamodb),
    s3: await startFaultProxy(e.s3),
    sqs: await startFaultProxy(e.sqs),
  };
  clients = createAwsClients(stack().clientConfigs);
  base = await tempDir('acme-ha-fault-stores-');
});

afterAll(async () => {
  clients?.destroy();
  await Promise.all(Object.values(proxies ?? {}).map((p) => p.stop()));
});

function throughProxies() {
  const c = stack().clientConfigs;
  return {
    dynamodb: { ...c.dynamodb, endpoint: proxies.dynamodb.url },
    // A short request timeout, so that a silent S3 fails a sync within seconds (production: 30 s).
    s3: {
      ...c.s3,
      endpoint: proxies.s3.url,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
    },
    sqs: { ...c.sqs, endpoint: proxies.sqs.url },
  };
}

function pemConfig(id: string) {
  return parseConfig(
    JSON.stringify({
      version: 1,
      defaults: { directory: stack().pebble?.directoryUrl },
      certificates: [{ id, domains: [`${id}.acme-ha.test`], keystores: [{ format: 'pem' }] }],
    }),
    'fault config',
  );
}

describe('stores failing in the middle of a renewal', () => {
  it('S3 down after issuance: no revision, failure and backoff persisted; converges when S3 is back', async () => {
    const orders: string[] = [];
    const p = faultPlane(stack(), {
      owner: 's3-outage',
      clientConfigs: throughProxies(),
      onOrder: (r) => orders.push(r.certificateId),
      afterOrder: () => proxies.s3.setMode('refuse'),
    });
    try {
      const first = await runRenewals(pemConfig('s3-down'), p.plane);
      expect(first.outcomes).toEqual([expect.objectContaining({ result: 'failed' })]);
      const state = await new DynamoStateStore(clients.documents, stack().resources.tableName).get('s3-down');
      expect(state.current).toBeNull();
      expect(state.failure?.attempts).toBe(1);
      expect(new Date(state.failure?.nextAttemptAt ?? 0).getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
      // The next scheduled run respects the backoff: no order, however often it runs.
      proxies.s3.setMode('on');
      const again = await runRenewals(pemConfig('s3-down'), p.plane);
      expect(again.outcomes).toEqual([expect.objectContaining({ result: 'skipped', reason: 'backing-off' })]);
      expect(orders).toEqual(['s3-down']);
    } finally {
      proxies.s3.setMode('on');
      p.close();
    }
    const healthy = faultPlane(stack(), { owner: 's3-back' });
    try {
      const forced = await runRenewals(pemConfig('s3-down'), healthy.plane, { force: true });
      expect(forced.outcomes).toEqual([expect.objectContaining({ result: 'renewed', revision: 1 })]);
    } finally {
      healthy.close();
    }
  });

  it('DynamoDB down between the S3 puts and the publish: no revision visible; the lease stays until it expires', async () => {
    const p = faultPlane(stack(), { owner: 'ddb-outage', clientConfigs: throughProxies() });
    const put = p.plane.keystores.put.bind(p.plane.keystores);
    const plane = {
      ...p.plane,
      keystores: {
        get: p.plane.keystores.get.bind(p.plane.keystores),
        put: async (key: string, bytes: Uint8Array) => {
          await put(key, bytes);
          if (key.startsWith('certificates/')) proxies.dynamodb.setMode('refuse');
        },
      },
    };
    try {
      // The certificate fails; the run itself completes (other certificates would go on).
      const result = await runRenewals(pemConfig('ddb-down'), plane);
      expect(result.outcomes).toEqual([
        expect.objectContaining({ certificateId: 'ddb-down', result: 'failed' }),
      ]);
    } finally {
      proxies.dynamodb.setMode('on');
      p.close();
    }
    const state = await new DynamoStateStore(clients.documents, stack().resources.tableName).get('ddb-down');
    expect(state.current).toBeNull();
    // Neither the failure record nor the lease release can reach DynamoDB while it is down: the
    // lease blocks other runs until RENEWAL_LEASE_MS has passed (15 min), then it is renewed.
    const { Item } = await clients.documents.send(
      new GetCommand({ TableName: stack().resources.tableName, Key: lockKey('certificate/ddb-down') }),
    );
    expect(Item?.owner).toBe('ddb-outage');
    expect(Number(Item?.leaseUntil)).toBeGreaterThan(Date.now() + RENEWAL_LEASE_MS - 60_000);
  });
});

describe('stores failing in the middle of a sync', () => {
  const CERT = 'synced';
  let stores: { state: DynamoStateStore; keystores: S3KeystoreStore };

  async function agent(node: string, viaProxies: boolean): Promise<{ runtime: AgentRuntime; path: string }> {
    const dir = join(base, node);
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'server.jks');
    const config = agentConfigFor(stack(), node, join(dir, 'state'), [
      { certificateId: CERT, format: 'jks', path, alias: 'server', password: { env: PASSWORD_ENV } },
    ]);
    const runtime = await createAgent(config, {
      log: silentLogger,
      env: { [PASSWORD_ENV]: PASSWORD },
      clientConfigs: viaProxies ? throughProxies() : stack().clientConfigs,
      pollMs: 20,
    });
    return { runtime, path };
  }

  async function revisionBytes(revision: number): Promise<Buffer> {
    const record = await stores.state.getRevision(CERT, revision);
    const key = record?.objects.find((o) => o.format === 'jks')?.key;
    if (!key) throw new Error(`no revision ${revision}`);
    return stores.keystores.get(key);
  }

  beforeAll(async () => {
    stores = stackStores(stack(), clients);
    await publishRevision(stores, CERT, await aServerPki());
  });

  it('S3 or DynamoDB refusing: nothing written, installed revision kept; converges after', async () => {
    const { runtime, path } = await agent('s1', true);
    try {
      expect((await reconcileAll(runtime.deps, runtime.options)).map((o) => o.result)).toEqual(['applied']);
      const before = await readFile(path);
      await publishRevision(stores, CERT, await aServerPki());
      for (const store of ['s3', 'dynamodb'] as const) {
        proxies[store].setMode('refuse');
        const [outcome] = await reconcileAll(runtime.deps, runtime.options);
        proxies[store].setMode('on');
        expect(outcome?.result, store).toBe('failed');
        expect(outcome?.installedRevision, store).toBe(1);
        expect((await readFile(path)).equals(before), `${store}: the keystore changed`).toBe(true);
      }
      const [done] = await reconcileAll(runtime.deps, runtime.options);
      expect(done).toMatchObject({ result: 'applied', installedRevision: 2 });
      expect((await readFile(path)).equals(await revisionBytes(2))).toBe(true);
    } finally {
      proxies.s3.setMode('on');
      proxies.dynamodb.setMode('on');
      runtime.close();
    }
  });

  it('S3 silent mid-sync: the request times out, the sync fails cleanly, nothing is written', async () => {
    const { runtime, path } = await agent('s2', true);
    try {
      expect((await reconcileAll(runtime.deps, runtime.options))[0]?.result).toBe('applied');
      const before = await readFile(path);
      await publishRevision(stores, CERT, await aServerPki());
      proxies.s3.setMode('blackhole');
      const [outcome] = await reconcileAll(runtime.deps, runtime.options);
      expect(outcome?.result).toBe('failed');
      expect((await readFile(path)).equals(before)).toBe(true);
      proxies.s3.setMode('on');
      expect((await reconcileAll(runtime.deps, runtime.options))[0]?.result).toBe('applied');
    } finally {
      proxies.s3.setMode('on');
      runtime.close();
    }
  }, 30_000);

  it('SQS down while revisions are published: the daemon backs off, reconcile converges, no revision skipped', async () => {
    const { runtime, path } = await agent('s1', true);
    const controller = new AbortController();
    proxies.sqs.setMode('refuse');
    const connectionsBefore = proxies.sqs.connections;
    const daemon = runAgent(
      runtime.deps,
      { ...runtime.options, reconcileIntervalMs: 1_500 },
      controller.signal,
    );
    try {
      const published: number[] = [];
      for (let i = 0; i < 3; i++)
        published.push((await publishRevision(stores, CERT, await aServerPki())).revision);
      const newest = published.at(-1) ?? 0;
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const record = await runtime.deps.installed.get(CERT);
        if (record?.revision === newest) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect((await runtime.deps.installed.get(CERT))?.revision).toBe(newest);
      expect((await readFile(path)).equals(await revisionBytes(newest))).toBe(true);
      // Not hot: with SQS refusing, the daemon retried with a growing delay.
      const attempts = proxies.sqs.connections - connectionsBefore;
      expect(attempts).toBeLessThan(40);
      for (let r = 1; r <= newest; r++)
        expect(await stores.state.getRevision(CERT, r), `revision ${r}`).not.toBeNull();
      expect((await stores.state.get(CERT)).current?.revision).toBe(newest);
    } finally {
      controller.abort();
      proxies.sqs.setMode('on');
      await daemon;
      runtime.close();
    }
  }, 30_000);
});
