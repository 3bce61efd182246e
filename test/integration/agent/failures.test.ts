/**
 * What a node refuses and how it recovers, against real Java TLS servers on JKS keystores:
 * tampered bytes, a wrong password, other names, an expired certificate → nothing written, the old
 * certificate still served, status `rejected` with the reason; a reload that fails, or a server that
 * keeps serving the old certificate → the backup is restored, the old certificate is served, the
 * node reports `rolled-back` and the rollout is halted for the other node.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { DynamoRolloutStore } from '../../../adapters/aws/dynamo-rollout-store.ts';
import type { DynamoStateStore } from '../../../adapters/aws/dynamo-state-store.ts';
import type { S3KeystoreStore } from '../../../adapters/aws/s3-keystore-store.ts';
import type { AgentRuntime } from '../../../agent/compose-agent.ts';
import { syncOnce } from '../../../core/agent/agent-loop.ts';
import { type JavaTlsServer, startJavaTlsServer } from '../../../local/java-tls-server.ts';
import {
  agentConfigFor,
  createTestAgent,
  nodeStatuses,
  PASSWORD,
  PASSWORD_ENV,
} from '../../support/agent-fleet.ts';
import { aServerPki, jksOf, serialOf } from '../../support/agent-keystores.ts';
import { publishRevision, stackStores } from '../../support/agent-revisions.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { opensslHandshake } from '../../support/openssl.ts';
import type { TestPki } from '../../support/pki.ts';
import { tempDir } from '../../support/temp-dir.ts';

const CERT = 'guarded';
const NAME = 'app.acme-ha.test';
const stack = useLocalStack({ nodes: ['j1', 'j2'], prefix: 'agent-failures', pebble: false });
const stops: (() => Promise<void>)[] = [];
let clients: AwsClients;
let stores: { state: DynamoStateStore; keystores: S3KeystoreStore };
let base: string;
let good: TestPki;
const servers = new Map<string, JavaTlsServer>();
const keystores = new Map<string, string>();

afterAll(async () => {
  clients?.destroy();
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

/** An agent for node `id`, reloading and probing `server` (by default the node's own). */
async function agentFor(
  id: string,
  options: { reloadUrl?: string; server?: JavaTlsServer } = {},
): Promise<AgentRuntime> {
  const server = options.server ?? servers.get(id);
  const keystore = keystores.get(id);
  if (!server || !keystore) throw new Error(`no server for ${id}`);
  const config = agentConfigFor(
    stack(),
    id,
    join(base, id, 'state'),
    [
      {
        certificateId: CERT,
        format: 'jks',
        path: keystore,
        alias: 'server',
        password: { env: PASSWORD_ENV },
        names: [NAME],
        reload: { http: { url: options.reloadUrl ?? server.reloadUrl, method: 'POST' }, timeoutSeconds: 5 },
        probe: [{ port: server.tlsPort, sni: NAME }],
      },
    ],
    { probeTimeoutSeconds: 2 },
  );
  return createTestAgent(stack(), config);
}

async function sync(id: string, runtime?: AgentRuntime) {
  const agent = runtime ?? (await agentFor(id));
  try {
    return await syncOnce(agent.deps, agent.options);
  } finally {
    agent.close();
  }
}

async function served(id: string, server = servers.get(id)): Promise<string> {
  if (!server) throw new Error(`no server for ${id}`);
  const rootFile = join(base, 'root.pem');
  await writeFile(rootFile, good.root.toString());
  const handshake = await opensslHandshake({ port: server.tlsPort, servername: NAME, caFile: rootFile });
  return handshake.served[0]?.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '') ?? 'none';
}

async function statusOf(id: string) {
  return (await nodeStatuses(stack(), CERT)).find((s) => s.nodeId === id);
}

beforeAll(async () => {
  base = await tempDir('acme-ha-failures-');
  clients = createAwsClients(stack().clientConfigs);
  stores = stackStores(stack(), clients);
  good = await aServerPki({ sans: [NAME] });
  const bootstrap = await aServerPki({ sans: [NAME] });
  for (const id of ['j1', 'j2']) {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(base, id), { recursive: true });
    const keystore = join(base, id, 'server.jks');
    await writeFile(keystore, jksOf(bootstrap, PASSWORD));
    const server = await startJavaTlsServer({ type: 'JKS', keystore, alias: 'server', password: PASSWORD });
    stops.push(server.stop);
    servers.set(id, server);
    keystores.set(id, keystore);
  }
  await publishRevision(stores, CERT, good);
  for (const id of ['j1', 'j2']) expect((await sync(id)).outcomes.map((o) => o.result)).toEqual(['applied']);
});

describe('verification before write', () => {
  const DAY = 86_400_000;
  const cases: [string, string, () => Promise<void>][] = [
    [
      'tampered bytes',
      'CHECKSUM_MISMATCH',
      async () => {
        const revision = await publishRevision(stores, CERT, await aServerPki({ sans: [NAME] }));
        const object = revision.objects.find((o) => o.format === 'jks');
        if (!object) throw new Error('no jks');
        const bytes = Buffer.from(await stores.keystores.get(object.key));
        bytes[100] = (bytes[100] ?? 0) ^ 0x01;
        await stores.keystores.put(object.key, bytes);
      },
    ],
    [
      'a wrong password',
      'KEYSTORE_PASSWORD',
      async () => {
        await publishRevision(stores, CERT, await aServerPki({ sans: [NAME] }), {
          password: 'not-the-agents',
        });
      },
    ],
    [
      'a certificate for other names',
      'NAMES_NOT_COVERED',
      async () => {
        await publishRevision(stores, CERT, await aServerPki({ sans: ['other.acme-ha.test'] }));
      },
    ],
    [
      'an expired certificate',
      'CERTIFICATE_NOT_VALID_NOW',
      async () => {
        const expired = await aServerPki({
          sans: [NAME],
          notBefore: new Date(Date.now() - 9 * DAY),
          notAfter: new Date(Date.now() - DAY),
        });
        await publishRevision(stores, CERT, expired);
      },
    ],
  ];
  for (const [what, reason, publish] of cases) {
    it(`${what}: nothing written, old certificate served, status rejected (${reason})`, async () => {
      const keystore = keystores.get('j1') ?? '';
      const before = await readFile(keystore);
      await publish();
      const result = await sync('j1');
      expect(result.outcomes.map((o) => [o.result, o.errorCode])).toEqual([['rejected', reason]]);
      expect(result.failed).toBe(true);
      expect((await readFile(keystore)).equals(before)).toBe(true);
      expect(await served('j1')).toBe(serialOf(good));
      const status = await statusOf('j1');
      expect(status).toMatchObject({
        result: 'rejected',
        errorCode: reason,
        revisionOnDisk: 1,
        revisionServed: 1,
      });
      expect(status?.failingSince).toBeTruthy();
    });
  }
});

describe('rollback and halted rollout', () => {
  async function expectHaltedFor(revision: number, other: string) {
    const rollouts = new DynamoRolloutStore(clients.documents, stack().resources.tableName);
    expect(await rollouts.get(CERT, revision)).toMatchObject({
      state: 'halted',
      haltedBy: 'j1',
      canary: 'j1',
    });
    const result = await sync(other);
    expect(result.outcomes.map((o) => o.result)).toEqual(['halted']);
    expect(await served(other)).toBe(serialOf(good));
    expect(await statusOf(other)).toMatchObject({
      result: 'halted',
      revisionOnDisk: 1,
      errorCode: 'ROLLOUT_HALTED',
    });
  }

  it('a reload that fails: backup restored, old certificate served, rollout halted for the others', async () => {
    const revision = (await publishRevision(stores, CERT, await aServerPki({ sans: [NAME] }))).revision;
    const j1 = servers.get('j1');
    const broken = await agentFor('j1', {
      reloadUrl: `http://127.0.0.1:${j1?.controlPort}/no-such-endpoint`,
    });
    const result = await sync('j1', broken);
    expect(result.outcomes.map((o) => [o.result, o.errorCode])).toEqual([['rolled-back', 'RELOAD_FAILED']]);
    expect(await served('j1')).toBe(serialOf(good));
    expect(await statusOf('j1')).toMatchObject({
      result: 'rolled-back',
      revisionOnDisk: 1,
      revisionServed: 1,
    });
    await expectHaltedFor(revision, 'j2');
  });

  it('a server that keeps the old certificate: probe fails, rollback, rollout halted', async () => {
    const revision = (await publishRevision(stores, CERT, await aServerPki({ sans: [NAME] }))).revision;
    const stubborn = await startJavaTlsServer({
      type: 'JKS',
      keystore: keystores.get('j1') ?? '',
      alias: 'server',
      password: PASSWORD,
      ignoreReloads: true,
    });
    stops.push(stubborn.stop);
    const result = await sync('j1', await agentFor('j1', { server: stubborn }));
    expect(result.outcomes.map((o) => [o.result, o.errorCode])).toEqual([['rolled-back', 'PROBE_FAILED']]);
    expect(await served('j1', stubborn)).toBe(serialOf(good));
    // The real server reloads the restored file fine: still the old certificate.
    expect(await served('j1')).toBe(serialOf(good));
    await expectHaltedFor(revision, 'j2');
  });
});
