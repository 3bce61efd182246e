/**
 * The proof of issue 6 on the embedded stack (DynamoDB, S3, SQS; no Pebble: revisions come from a
 * test PKI): an internal agent pushes each revision it installed to two DMZ receivers, one in front
 * of a Java TLS server on a JKS, one in front of nginx on PEM files; `openssl s_client` sees the new
 * serial on both. Clients that are not the pinned one, tampered or oversized bodies and replayed
 * older revisions change nothing; a receiver that was down gets the revision when it is back; and
 * `acme-ha status --json` lists the DMZ instances.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import type { DynamoStateStore } from '../../../adapters/aws/dynamo-state-store.ts';
import type { S3KeystoreStore } from '../../../adapters/aws/s3-keystore-store.ts';
import type { PairingIdentity } from '../../../adapters/openssl/openssl-pairing.ts';
import { syncOnce } from '../../../core/agent/agent-loop.ts';
import type { AgentConfig } from '../../../core/config/agent-config.ts';
import type { DmzConfig } from '../../../core/config/dmz-config.ts';
import { buildRevisionPush, payloadSha256 } from '../../../core/dmz/revision-push.ts';
import type { Revision } from '../../../core/renewal/types.ts';
import type { DmzReceiverRuntime } from '../../../dmz/compose-receiver.ts';
import { startJavaTlsServer } from '../../../local/java-tls-server.ts';
import { startNginx } from '../../../local/nginx-server.ts';
import {
  agentConfigFor,
  createTestAgent,
  nodeStatuses,
  PASSWORD,
  PASSWORD_ENV,
  startDaemon,
} from '../../support/agent-fleet.ts';
import { aServerPki, jksOf, serialOf, writePemFiles } from '../../support/agent-keystores.ts';
import { publishRevision, stackStores } from '../../support/agent-revisions.ts';
import { runCli } from '../../support/cli.ts';
import {
  aClientIdentity,
  aReceiverIdentity,
  dmzConfigFor,
  dmzPeerFor,
  rawDmzRequest,
  receiverIdentityOf,
  startTestDmz,
} from '../../support/dmz-receivers.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { opensslHandshake } from '../../support/openssl.ts';
import type { TestPki } from '../../support/pki.ts';
import { tempDir } from '../../support/temp-dir.ts';

const CERT = 'edge';
const NAME = 'app.acme-ha.test';
const stack = useLocalStack({ nodes: ['internal', 'standby'], prefix: 'dmz-push', pebble: false });
const stops: (() => Promise<void>)[] = [];
let clients: AwsClients;
let stores: { state: DynamoStateStore; keystores: S3KeystoreStore };
let base: string;
let client: PairingIdentity;
let unpinned: PairingIdentity;
let rogue: PairingIdentity;
let agentConfig: AgentConfig;
let standbyConfig: AgentConfig;
const dmz = new Map<
  'a' | 'b',
  { config: DmzConfig; runtime: DmzReceiverRuntime | null; tlsPort: number; file: string }
>();
const pkis = new Map<number, TestPki>();
const latencies: number[] = [];

afterAll(async () => {
  for (const d of dmz.values()) await d.runtime?.stop();
  clients?.destroy();
  await Promise.all(stops.splice(0).map((stop) => stop()));
  if (latencies.length > 0) console.info(`DMZ push latency (ms): ${latencies.map(Math.round).join(', ')}`);
});

function receiver(id: 'a' | 'b') {
  const d = dmz.get(id);
  if (!d) throw new Error(`no DMZ ${id}`);
  return d;
}

async function publish(): Promise<Revision> {
  const pki = await aServerPki({ sans: [NAME, 'localhost'] });
  const revision = await publishRevision(stores, CERT, pki, { password: PASSWORD });
  pkis.set(revision.revision, pki);
  return revision;
}

async function servedSerial(id: 'a' | 'b', revision: number): Promise<string> {
  const pki = pkis.get(revision);
  if (!pki) throw new Error(`no PKI for revision ${revision}`);
  const caFile = join(base, `root-${revision}.pem`);
  await writeFile(caFile, pki.root.toString());
  const handshake = await opensslHandshake({ port: receiver(id).tlsPort, servername: NAME, caFile });
  expect(handshake.verifyLine, `DMZ ${id}`).toBe('Verify return code: 0 (ok)');
  return handshake.served[0]?.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '') ?? 'none';
}

async function dmzStatus(id: 'a' | 'b') {
  return (await nodeStatuses(stack(), CERT)).find((s) => s.nodeId === `dmz:dmz-${id}`) ?? null;
}

async function pushOf(revision: Revision) {
  const bytes = new Map<string, Buffer>();
  for (const o of revision.objects) bytes.set(o.key, await stores.keystores.get(o.key));
  return buildRevisionPush(revision, bytes);
}

async function installedRevision(id: 'a' | 'b'): Promise<number | null> {
  const answer = await rawDmzRequest({
    port: receiver(id).runtime?.receiver.port ?? 0,
    path: `/v1/revisions/${CERT}`,
    client,
  });
  return answer.body.revision as number | null;
}

beforeAll(async () => {
  const s = stack();
  clients = createAwsClients(s.clientConfigs);
  stores = stackStores(s, clients);
  base = await tempDir('acme-ha-dmz-');
  const ids = join(base, 'identities');
  client = await aClientIdentity(ids, 'internal');
  unpinned = await aClientIdentity(ids, 'retired');
  rogue = await aClientIdentity(ids, 'rogue');
  const bootstrap = await aServerPki({ sans: [NAME, 'localhost'] });

  // DMZ a: Java on a JKS, reloaded over HTTP.
  const dirA = join(base, 'dmz-a');
  await mkdir(dirA);
  const keystore = join(dirA, 'server.jks');
  await writeFile(keystore, jksOf(bootstrap, PASSWORD));
  const java = await startJavaTlsServer({ type: 'JKS', keystore, alias: 'server', password: PASSWORD });
  stops.push(java.stop);
  const configA = dmzConfigFor({
    id: 'dmz-a',
    stateDirectory: join(dirA, 'state'),
    receiver: await aReceiverIdentity(dirA, 'receiver-a'),
    trusted: [client, unpinned],
    pinned: [client],
    targets: [
      {
        certificateId: CERT,
        format: 'jks',
        path: keystore,
        alias: 'server',
        password: { env: PASSWORD_ENV },
        names: [NAME],
        reload: { http: { url: java.reloadUrl, method: 'POST' }, timeoutSeconds: 10 },
        probe: [{ port: java.tlsPort, sni: NAME }],
      },
    ],
  });

  // DMZ b: nginx on PEM files, `nginx -s reload`.
  const dirB = join(base, 'dmz-b');
  const pemDir = join(dirB, 'pem');
  await mkdir(pemDir, { recursive: true });
  await writePemFiles(pemDir, bootstrap);
  const nginx = await startNginx({
    directory: join(dirB, 'nginx'),
    certificateFile: join(pemDir, 'fullchain.pem'),
    keyFile: join(pemDir, 'privkey.pem'),
  });
  stops.push(nginx.stop);
  const configB = dmzConfigFor({
    id: 'dmz-b',
    stateDirectory: join(dirB, 'state'),
    receiver: await aReceiverIdentity(dirB, 'receiver-b'),
    trusted: [client],
    pinned: [client],
    targets: [
      {
        certificateId: CERT,
        format: 'pem',
        path: pemDir,
        files: ['fullchain.pem', 'privkey.pem'],
        reload: { command: [...nginx.reloadCommand], timeoutSeconds: 10 },
        probe: [{ port: nginx.port, sni: NAME }],
      },
    ],
  });
  const a = await startTestDmz(configA);
  const b = await startTestDmz(configB);
  // Fixed ports from now on, so a restarted receiver is found at the same URL.
  dmz.set('a', {
    config: { ...configA, listen: { ...configA.listen, port: a.receiver.port } },
    runtime: a,
    tlsPort: java.tlsPort,
    file: keystore,
  });
  dmz.set('b', {
    config: { ...configB, listen: { ...configB.listen, port: b.receiver.port } },
    runtime: b,
    tlsPort: nginx.port,
    file: join(pemDir, 'fullchain.pem'),
  });

  // The internal node installs the certificate itself (PEM, no server) and pushes to both.
  const own = join(base, 'internal', 'pem');
  await mkdir(own, { recursive: true });
  agentConfig = {
    ...agentConfigFor(s, 'internal', join(base, 'internal', 'state'), [
      { certificateId: CERT, format: 'pem', path: own },
    ]),
    dmz: [
      dmzPeerFor({
        id: 'dmz-a',
        port: a.receiver.port,
        receiver: receiverIdentityOf(configA),
        client,
        certificates: [CERT],
      }),
      dmzPeerFor({
        id: 'dmz-b',
        port: b.receiver.port,
        receiver: receiverIdentityOf(configB),
        client,
        certificates: [CERT],
      }),
    ],
  };
  // A second pusher of DMZ a for HA, with the same client identity, as a standby.
  const ownStandby = join(base, 'standby', 'pem');
  await mkdir(ownStandby, { recursive: true });
  standbyConfig = {
    ...agentConfigFor(s, 'standby', join(base, 'standby', 'state'), [
      { certificateId: CERT, format: 'pem', path: ownStandby },
    ]),
    dmz: [
      dmzPeerFor({
        id: 'dmz-a',
        port: a.receiver.port,
        receiver: receiverIdentityOf(configA),
        client,
        certificates: [CERT],
      }),
    ],
  };
});

/** The receiver identity a config points at (fingerprint recomputed from the file). */
describe('an internal agent pushes to two DMZ receivers', () => {
  it('both receivers install the revision the agent installed, and serve its serial', async () => {
    const revision = await publish();
    const runtime = await createTestAgent(stack(), agentConfig);
    try {
      const result = await syncOnce(runtime.deps, runtime.options);
      expect(result.outcomes.map((o) => o.result)).toEqual(['applied']);
      expect(result.dmz?.map((r) => `${r.dmzId}:${r.result}:${r.remoteRevision}`)).toEqual([
        `dmz-a:pushed:${revision.revision}`,
        `dmz-b:pushed:${revision.revision}`,
      ]);
      latencies.push(...(result.dmz ?? []).map((r) => r.durationMs));
      expect(result.dmz?.map((r) => r.answer?.servedSerial)).toEqual([revision.serial, revision.serial]);
    } finally {
      runtime.close();
    }
    expect(await servedSerial('a', revision.revision)).toBe(serialOf(pkis.get(revision.revision) as TestPki));
    expect(await servedSerial('b', revision.revision)).toBe(revision.serial);
    for (const id of ['a', 'b'] as const) {
      const status = await dmzStatus(id);
      expect(status).toMatchObject({ result: 'applied', revisionOnDisk: revision.revision, errorCode: null });
    }
  });

  it('a second sync asks first and sends nothing: the receivers are current', async () => {
    const runtime = await createTestAgent(stack(), agentConfig);
    try {
      const result = await syncOnce(runtime.deps, runtime.options);
      expect(result.dmz?.map((r) => r.result)).toEqual(['current', 'current']);
    } finally {
      runtime.close();
    }
  });

  it('a client without a pinned certificate, with a wrong one, or over plain HTTP gets nothing written', async () => {
    const next = await publish();
    const body = JSON.stringify(await pushOf(next));
    const port = receiver('a').runtime?.receiver.port ?? 0;
    const before = await readFile(receiver('a').file);
    const path = `/v1/revisions/${CERT}`;

    await expect(rawDmzRequest({ port, path, body })).rejects.toThrow();
    await expect(rawDmzRequest({ port, path, body, client: rogue })).rejects.toThrow();
    await expect(rawDmzRequest({ port, path, body, plainHttp: true })).rejects.toThrow();
    const retired = await rawDmzRequest({ port, path, body, client: unpinned });
    expect(retired.status).toBe(403);
    expect(retired.body).toEqual({
      errorCode: 'CLIENT_NOT_PINNED',
      message: 'client certificate not accepted',
    });

    expect((await readFile(receiver('a').file)).equals(before)).toBe(true);
    expect(await installedRevision('a')).toBe(next.revision - 1);
    expect(await servedSerial('a', next.revision - 1)).toBe(
      pkis
        .get(next.revision - 1)
        ?.leaf.serialNumber.toLowerCase()
        .replace(/^(00)+(?=.)/, ''),
    );
  });

  it('a tampered payload is refused, an oversized body is cut off: nothing written', async () => {
    const current = (await stores.state.get(CERT)).current as Revision;
    const push = await pushOf(current);
    const port = receiver('a').runtime?.receiver.port ?? 0;
    const path = `/v1/revisions/${CERT}`;
    const before = await readFile(receiver('a').file);
    const installed = await installedRevision('a');

    // Bytes changed on the way, payload hash left as it was.
    const first = push.objects[0];
    if (!first) throw new Error('no objects');
    const flipped = Buffer.from(first.data, 'base64');
    flipped[flipped.length - 40] = (flipped[flipped.length - 40] ?? 0) ^ 0xff;
    const objects = [{ ...first, data: flipped.toString('base64') }, ...push.objects.slice(1)];
    const damaged = await rawDmzRequest({ port, path, client, body: JSON.stringify({ ...push, objects }) });
    expect(damaged.status).toBe(422);
    expect(damaged.body).toMatchObject({ result: 'refused', errorCode: 'PAYLOAD_HASH_MISMATCH' });

    // A careful tamperer recomputes the payload hash: the revision record's own SHA-256 still catches it.
    const forged = { ...push, objects, sha256: payloadSha256(push.revision, objects) };
    const rejected = await rawDmzRequest({ port, path, client, body: JSON.stringify(forged) });
    expect(rejected.status).toBe(422);
    expect(rejected.body).toMatchObject({ result: 'rejected', errorCode: 'CHECKSUM_MISMATCH' });
    expect(JSON.stringify(rejected.body)).not.toMatch(/\/tmp\/|at .*\.ts:\d+/);

    // 2 MiB against the 1 MiB default: refused from the declared length, and counted when chunked.
    const huge = JSON.stringify({ ...push, padding: 'x'.repeat(2 * 1024 * 1024) });
    const declared = await rawDmzRequest({ port, path, client, body: huge });
    expect(declared.status).toBe(413);
    const chunked = await rawDmzRequest({ port, path, client, body: huge, chunked: true }).catch(
      (error: Error) => ({ status: -1, body: { error: error.message } }),
    );
    expect([413, -1]).toContain(chunked.status);

    expect((await readFile(receiver('a').file)).equals(before)).toBe(true);
    expect(await installedRevision('a')).toBe(installed);
  });

  it('a replayed older revision is refused without effect', async () => {
    const runtime = await createTestAgent(stack(), agentConfig);
    let newest: number;
    try {
      const result = await syncOnce(runtime.deps, runtime.options);
      newest = result.outcomes[0]?.revision ?? 0;
      expect(result.dmz?.map((r) => `${r.result}:${r.remoteRevision}`)).toEqual([
        `pushed:${newest}`,
        `pushed:${newest}`,
      ]);
    } finally {
      runtime.close();
    }
    const older = await stores.state.getRevision(CERT, newest - 1);
    if (!older) throw new Error('no older revision');
    const before = await readFile(receiver('b').file);
    const replay = await rawDmzRequest({
      port: receiver('b').runtime?.receiver.port ?? 0,
      path: `/v1/revisions/${CERT}`,
      client,
      body: JSON.stringify(await pushOf(older)),
    });
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({
      result: 'obsolete',
      installedRevision: newest,
      revision: newest - 1,
    });
    expect((await readFile(receiver('b').file)).equals(before)).toBe(true);
    expect(await servedSerial('b', newest)).toBe(serialOf(pkis.get(newest) as TestPki));
  });

  it('two pushers of one DMZ instance: applied once, and a standby pusher sends nothing', async () => {
    const pushers = async (standbySeconds: number) => {
      const configs = [
        agentConfig,
        { ...standbyConfig, dmz: standbyConfig.dmz.map((p) => ({ ...p, standbySeconds })) },
      ];
      const runtimes = await Promise.all(configs.map((c) => createTestAgent(stack(), c)));
      try {
        const results = await Promise.all(runtimes.map((r) => syncOnce(r.deps, r.options)));
        return results.map((r) => r.dmz?.find((d) => d.dmzId === 'dmz-a'));
      } finally {
        for (const r of runtimes) r.close();
      }
    };
    // At the same moment: the receiver serialises, the second push is answered up-to-date, no reload.
    const revision = await publish();
    const racing = await pushers(0);
    expect(racing.map((r) => r?.remoteRevision)).toEqual([revision.revision, revision.revision]);
    expect(racing.map((r) => r?.answer?.result ?? 'not sent').sort()).toEqual(
      expect.arrayContaining(['applied']),
    );
    expect(racing.filter((r) => r?.answer?.result === 'applied')).toHaveLength(1);
    // With a standby delay the second pusher asks again first and sends nothing at all.
    const next = await publish();
    const staggered = await pushers(0.5);
    expect(
      staggered.map((r) => `${r?.result}:${r?.answer?.result ?? 'not sent'}:${r?.remoteRevision}`),
    ).toEqual([`pushed:applied:${next.revision}`, `current:not sent:${next.revision}`]);
  });

  it('a receiver that is down during the push gets the revision when it is back', async () => {
    const b = receiver('b');
    await b.runtime?.stop();
    b.runtime = null;
    const revision = await publish();
    const daemon = startDaemon(await createTestAgent(stack(), agentConfig));
    try {
      await expect
        .poll(async () => (await dmzStatus('a'))?.revisionOnDisk, { timeout: 20_000, interval: 100 })
        .toBe(revision.revision);
      await expect
        .poll(async () => (await dmzStatus('b'))?.errorCode, { timeout: 20_000, interval: 100 })
        .toBe('DMZ_UNREACHABLE');
      expect((await dmzStatus('b'))?.result).toBe('failed');

      const t0 = performance.now();
      b.runtime = await startTestDmz(b.config);
      await expect
        .poll(async () => (await dmzStatus('b'))?.revisionOnDisk, { timeout: 20_000, interval: 100 })
        .toBe(revision.revision);
      latencies.push(performance.now() - t0);
      expect((await dmzStatus('b'))?.result).toBe('applied');
      expect(await servedSerial('b', revision.revision)).toBe(revision.serial);
    } finally {
      await daemon.stop();
      daemon.runtime.close();
    }
  });

  it('`acme-ha status --json` lists the DMZ instances', async () => {
    const current = (await stores.state.get(CERT)).current as Revision;
    const result = await runCli(['status', '--certificate', CERT, '--json'], stack().env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const nodes =
      (JSON.parse(result.stdout) as { certificates: { nodes: Record<string, unknown>[] }[] }).certificates[0]
        ?.nodes ?? [];
    expect(nodes.map((n) => [n.nodeId, n.kind, n.revisionOnDisk, n.lagging, n.result])).toEqual([
      ['dmz:dmz-a', 'dmz', current.revision, false, 'applied'],
      ['dmz:dmz-b', 'dmz', current.revision, false, 'applied'],
      ['internal', 'node', current.revision, false, 'applied'],
      // The standby pushed nothing since the last revision and did not run its own sync either.
      ['standby', 'node', current.revision - 1, true, 'applied'],
    ]);
  });
});
