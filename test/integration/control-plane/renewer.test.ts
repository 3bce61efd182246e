/**
 * The renewer end to end on the embedded stack: Pebble (HTTP-01 through each responder variant),
 * DynamoDB (dynalite), S3 (s3rver), SNS stand-in → SQS, and Java judging the JKS it publishes.
 */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import type { AcmeHaConfig } from '../../../core/config/certificate-config.ts';
import { parseConfig } from '../../../core/config/parse-config.ts';
import { openKeystore } from '../../../core/keystore/keystore.ts';
import { type Clock, systemClock } from '../../../core/ports/clock.ts';
import { silentLogger } from '../../../core/ports/logger.ts';
import { runRenewals } from '../../../core/renewal/run-renewals.ts';
import type { IssueRequest } from '../../../core/renewal/types.ts';
import { type ControlPlane, createControlPlane } from '../../../functions/commons/compose-control-plane.ts';
import { stackControlPlaneSettings } from '../../../local/control-plane-settings.ts';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { type AriDirectory, startAriDirectory } from '../../support/ari-directory.ts';
import { type ChallengeGateway, startChallengeGateway } from '../../support/challenge-gateway.ts';
import { challengeTokensLeft } from '../../support/challenge-items.ts';
import { loadInJava } from '../../support/java.ts';
import { tempDir } from '../../support/temp-dir.ts';

const run = promisify(execFile);
const JKS_PASSWORD = 'changeit';

let gateway: ChallengeGateway;
let stack: LocalStack;
let clients: AwsClients;
let ari: AriDirectory;
let issued: IssueRequest[];

function configFor(overrides: Record<string, unknown>[] = []): AcmeHaConfig {
  const pebble = stack.pebble?.directoryUrl ?? '';
  return parseConfig(
    JSON.stringify({
      version: 1,
      defaults: { directory: pebble },
      renewal: { concurrency: 2, maxOrdersPerRun: 10 },
      certificates: [
        {
          id: 'app',
          domains: ['app.acme-ha.test', 'www.acme-ha.test'],
          profile: 'tlsserver',
          groups: ['web'],
          keystores: [{ format: 'jks', password: { env: 'APP_JKS_PASSWORD' } }, { format: 'pem' }],
        },
        { id: 'blocked', domains: ['blocked.acme-ha.test'], groups: ['web'], keystores: [{ format: 'pem' }] },
        { id: 'notoken', domains: ['notoken.acme-ha.test'], groups: ['web'], keystores: [{ format: 'pem' }] },
        {
          id: 'down',
          domains: ['down.acme-ha.test'],
          directory: 'https://127.0.0.1:9/dir',
          groups: ['web'],
          keystores: [{ format: 'pem' }],
        },
        {
          id: 'ari',
          domains: ['ari.acme-ha.test'],
          directory: ari.url,
          groups: ['web'],
          keystores: [{ format: 'pem' }],
        },
        { id: 'twice', domains: ['twice.acme-ha.test'], groups: ['web'], keystores: [{ format: 'pem' }] },
        ...overrides,
      ],
      nodes: [{ id: 'web1', groups: ['web'] }],
    }),
    'test config',
  );
}

function plane(owner = 'test', clock: Clock = systemClock): ControlPlane {
  const p = createControlPlane(stackControlPlaneSettings(stack), clients, {
    log: silentLogger,
    clock,
    env: { APP_JKS_PASSWORD: JKS_PASSWORD },
    owner,
  });
  // Count what reaches the CA: the proof of "one order".
  const issuer = p.issuer;
  return {
    ...p,
    issuer: {
      issue: (request) => {
        issued.push(request);
        return issuer.issue(request);
      },
      renewalInfo: (directory, id) => issuer.renewalInfo(directory, id),
    },
  };
}

async function receiveAll(queueUrl: string): Promise<Record<string, unknown>[]> {
  const bodies: Record<string, unknown>[] = [];
  for (;;) {
    // One message per call: local-aws-sqs waits the whole poll when asked for more.
    const { Messages } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 1 }),
    );
    const [message] = Messages ?? [];
    if (!message?.Body) return bodies;
    bodies.push(JSON.parse(message.Body) as Record<string, unknown>);
  }
}

const challengeItems = () => challengeTokensLeft(clients.documents, stack.resources.tableName);

/** The SHA-256 of the current revision's public key (SPKI), read from its first keystore object. */
async function publicKeyOf(certificateId: string): Promise<string> {
  const p = plane();
  const object = (await p.state.get(certificateId)).current?.objects[0];
  if (!object) throw new Error(`${certificateId} has no revision`);
  const opened = openKeystore(await p.keystores.get(object.key), JKS_PASSWORD, object.key);
  const spki = opened.chain[0].publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

async function objectsOf(certificateId: string): Promise<string[]> {
  const { Contents } = await clients.s3.send(
    new ListObjectsV2Command({ Bucket: stack.resources.bucket, Prefix: `certificates/${certificateId}/` }),
  );
  return (Contents ?? []).map((o) => o.Key ?? '');
}

beforeAll(async () => {
  issued = [];
  gateway = await startChallengeGateway();
  stack = await startLocalStack({
    nodes: [{ id: 'web1', filterPolicy: { groups: ['web'] } }, { id: 'ops' }],
    pebble: { httpPort: gateway.port, domainBlocklist: ['blocked.acme-ha.test'] },
  });
  clients = createAwsClients(stack.clientConfigs);
  gateway.use(plane().challenges);
  gateway.refuseHost('notoken.');
  ari = await startAriDirectory(stack.pebble?.directoryUrl ?? '', stack.pebble?.caPem ?? '');
});

afterAll(async () => {
  await ari?.stop();
  clients?.destroy();
  await stack?.stop();
  await gateway?.stop();
});

describe('renewer on the embedded stack', () => {
  it('issues a certificate for 2 names through every responder variant and publishes it', async () => {
    const config = configFor();
    const result = await runRenewals(config, plane(), { certificateId: 'app' });
    expect(result.outcomes).toEqual([
      expect.objectContaining({ result: 'renewed', reason: 'first-issuance', revision: 1 }),
    ]);
    expect(issued.at(-1)).toMatchObject({
      profile: 'tlsserver',
      domains: ['app.acme-ha.test', 'www.acme-ha.test'],
    });

    // Pebble fetched each token several times; each variant answered from DynamoDB; nothing is left.
    const answered = gateway.requests.filter((r) => r.status === 200);
    expect(new Set(answered.map((r) => r.variant))).toEqual(new Set(['alb', 'edge', 'http']));
    expect(new Set(answered.map((r) => r.host.split(':')[0]))).toEqual(
      new Set(['app.acme-ha.test', 'www.acme-ha.test']),
    );
    expect(await challengeItems()).toBe(0);

    // Keystores in S3, the JKS opened by Java itself, the chain verified by openssl against Pebble's root.
    const state = await plane().state.get('app');
    const keys = await objectsOf('app');
    expect(keys.sort()).toEqual(state.current?.objects.map((o) => o.key).sort());
    const dir = await tempDir();
    const jks = join(dir, 'app.jks');
    await writeFile(
      jks,
      await plane().keystores.get(state.current?.objects.find((o) => o.name === 'app.jks')?.key ?? ''),
    );
    const view = await loadInJava(inject('javaClasses'), 'JKS', jks, 'app', JKS_PASSWORD);
    expect(view.chainLength).toBeGreaterThanOrEqual(2);
    const fullchain = join(dir, 'fullchain.pem');
    await writeFile(
      fullchain,
      await plane().keystores.get(state.current?.objects.find((o) => o.name === 'fullchain.pem')?.key ?? ''),
    );
    await writeFile(join(dir, 'root.pem'), (await stack.pebble?.rootCertificate()) ?? '');
    const { stdout } = await run('openssl', [
      'verify',
      '-CAfile',
      join(dir, 'root.pem'),
      '-untrusted',
      fullchain,
      fullchain,
    ]);
    expect(stdout).toMatch(/OK/);

    // The node's filtered queue received exactly the event for its group, as an SNS envelope.
    const [envelope, ...more] = await receiveAll(stack.resources.queues.web1?.url ?? '');
    expect(more).toEqual([]);
    expect(envelope).toMatchObject({ Type: 'Notification', TopicArn: stack.resources.topicArn });
    expect(JSON.parse(String(envelope?.Message))).toEqual({
      type: 'certificate.revision_published',
      certificateId: 'app',
      revision: 1,
      groups: ['web'],
      nodes: [],
      dmz: [],
    });
  });

  it('orders nothing when nothing is due; anew when forced (replacing the old one) or when names change', async () => {
    const before = issued.length;
    expect((await runRenewals(configFor(), plane(), { certificateId: 'app' })).outcomes).toEqual([
      expect.objectContaining({ result: 'skipped', reason: 'not-due' }),
    ]);
    expect(issued.length).toBe(before);

    const ariId = (await plane().state.get('app')).current?.ariCertId;
    const forced = await runRenewals(configFor(), plane(), { certificateId: 'app', force: true });
    expect(forced.outcomes).toEqual([
      expect.objectContaining({ result: 'renewed', reason: 'forced', revision: 2 }),
    ]);
    expect(issued.at(-1)?.replaces).toBe(ariId);

    const changed = configFor();
    const app = changed.certificates.find((c) => c.id === 'app');
    app?.domains.push('api.acme-ha.test');
    const renamed = await runRenewals(changed, plane(), { certificateId: 'app' });
    expect(renamed.outcomes).toEqual([
      expect.objectContaining({ result: 'renewed', reason: 'config-changed', revision: 3 }),
    ]);
    expect((await plane().state.get('app')).current?.sans).toEqual([
      'app.acme-ha.test',
      'www.acme-ha.test',
      'api.acme-ha.test',
    ]);
  });

  it('renewBefore: a Pebble certificate (with its ARI window) renews when renewBefore asks, not before', async () => {
    const config = configFor([
      {
        id: 'early',
        domains: ['early.acme-ha.test'],
        groups: ['web'],
        keystores: [{ format: 'pem' }],
        // Pebble's certificates live five years: this asks for a renewal about 1.8 days in.
        renewBefore: '99.9%',
      },
    ]);
    expect((await runRenewals(config, plane(), { certificateId: 'early' })).outcomes).toEqual([
      expect.objectContaining({ result: 'renewed', reason: 'first-issuance', revision: 1 }),
    ]);
    const first = (await plane().state.get('early')).current;
    if (!first) throw new Error('no revision');
    const lifetime = Date.parse(first.notAfter) - Date.parse(first.notBefore);
    const due = Date.parse(first.notAfter) - lifetime * 0.999;
    const before = issued.length;
    const waiting = await runRenewals(config, plane(), { certificateId: 'early' });
    expect(waiting.outcomes).toEqual([
      expect.objectContaining({
        result: 'skipped',
        reason: 'not-due',
        nextCheckAt: new Date(due).toISOString(),
      }),
    ]);
    expect(issued.length).toBe(before);
    const later = plane('test', { now: () => new Date(due + 60_000) });
    expect((await runRenewals(config, later, { certificateId: 'early' })).outcomes).toEqual([
      expect.objectContaining({ result: 'renewed', reason: 'renew-before', revision: 2 }),
    ]);
  });

  it('key rotation: reuse keeps the key (read back from a JKS revision) until the key type changes; always does not', async () => {
    const pinned = {
      id: 'pinned',
      domains: ['pinned.acme-ha.test'],
      keyType: 'rsa-2048',
      key: { rotation: 'reuse' },
      groups: ['web'],
      keystores: [{ format: 'jks', password: { env: 'APP_JKS_PASSWORD' } }],
    };
    const rotating = {
      ...pinned,
      id: 'rotating',
      domains: ['rotating.acme-ha.test'],
      key: { rotation: 'always' },
    };
    const renew = async (config: AcmeHaConfig, certificateId: string, force = true) => {
      const [outcome] = (await runRenewals(config, plane(), { certificateId, force })).outcomes;
      expect(outcome?.result, certificateId).toBe('renewed');
      return publicKeyOf(certificateId);
    };
    const config = configFor([pinned, rotating]);
    const pinnedKeys = [
      await renew(config, 'pinned', false),
      await renew(config, 'pinned'),
      await renew(config, 'pinned'),
    ];
    expect(new Set(pinnedKeys).size).toBe(1);
    const rotatingKeys = [await renew(config, 'rotating', false), await renew(config, 'rotating')];
    expect(new Set(rotatingKeys).size).toBe(2);
    // Another key type: a new key (ordered because the settings changed), reused from then on.
    const ec = configFor([{ ...pinned, keyType: 'ec-p256' }]);
    const ecKeys = [await renew(ec, 'pinned', false), await renew(ec, 'pinned')];
    expect(ecKeys[0]).not.toBe(pinnedKeys[0]);
    expect(ecKeys[1]).toBe(ecKeys[0]);
  });

  it('two runs started at the same moment place exactly one order', async () => {
    const before = issued.length;
    const [a, b] = await Promise.all([
      runRenewals(configFor(), plane('run-a'), { certificateId: 'twice' }),
      runRenewals(configFor(), plane('run-b'), { certificateId: 'twice' }),
    ]);
    expect([...(a?.outcomes ?? []), ...(b?.outcomes ?? [])].map((o) => o.result).sort()).toEqual([
      'locked',
      'renewed',
    ]);
    expect(issued.length - before).toBe(1);
  });

  it.each([
    ['blocked', 'ORDER_REJECTED', /rejectedIdentifier/],
    ['notoken', 'VALIDATION_FAILED', /notoken\.acme-ha\.test/],
    ['down', 'CA_UNREACHABLE', /ECONNREFUSED/],
  ])(
    'a failure (%s) is persisted with its backoff and announced; no partial revision',
    async (id, code, message) => {
      const result = await runRenewals(configFor(), plane(), { certificateId: id });
      expect(result.outcomes).toEqual([expect.objectContaining({ result: 'failed', errorCode: code })]);
      const state = await plane().state.get(id);
      expect(state.current).toBeNull();
      expect(state.failure).toMatchObject({
        attempts: 1,
        lastErrorCode: code,
        lastErrorMessage: expect.stringMatching(message),
      });
      expect(new Date(state.failure?.nextAttemptAt ?? 0).getTime()).toBeGreaterThan(Date.now() + 59 * 60_000);
      expect(await objectsOf(id)).toEqual([]);
      expect(await challengeItems()).toBe(0);
      const events = await receiveAll(stack.resources.queues.ops?.url ?? '');
      expect(events.map((e) => JSON.parse(String(e.Message)))).toContainEqual(
        expect.objectContaining({ type: 'certificate.renewal_failed', certificateId: id, errorCode: code }),
      );
      // The next scheduled run does not hammer the CA.
      const before = issued.length;
      expect((await runRenewals(configFor(), plane(), { certificateId: id })).outcomes).toEqual([
        expect.objectContaining({ result: 'skipped', reason: 'backing-off' }),
      ]);
      expect(issued.length).toBe(before);
    },
  );

  it('follows ARI: a window in the future waits, one in the past renews with replaces', async () => {
    const config = configFor();
    expect((await runRenewals(config, plane(), { certificateId: 'ari' })).outcomes[0]).toMatchObject({
      result: 'renewed',
    });
    const first = (await plane().state.get('ari')).current;
    const day = 86_400_000;
    ari.setWindow(new Date(Date.now() + 30 * day), new Date(Date.now() + 31 * day), 1);
    expect((await runRenewals(config, plane(), { certificateId: 'ari' })).outcomes[0]).toMatchObject({
      result: 'skipped',
      reason: 'not-due',
    });
    expect(ari.asked).toEqual([first?.ariCertId]);

    await new Promise((resolve) => setTimeout(resolve, 1100)); // the Retry-After of 1 s
    ari.setWindow(new Date(Date.now() - 2 * day), new Date(Date.now() - day));
    const renewed = await runRenewals(config, plane(), { certificateId: 'ari' });
    expect(renewed.outcomes[0]).toMatchObject({ result: 'renewed', reason: 'ari-window', revision: 2 });
    expect(issued.at(-1)?.replaces).toBe(first?.ariCertId);
  });

  it('kept one ACME account per CA across all those runs, in the encrypted bucket', async () => {
    const { Contents } = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: stack.resources.bucket, Prefix: 'accounts/' }),
    );
    // Pebble's directory, the ARI directory and the unreachable CA (never registered).
    expect(Contents?.length).toBe(2);
  });
});
