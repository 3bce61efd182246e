/**
 * `acme-ha rollout status|pause|resume` as a user runs it (the built CLI, a child process) against
 * the embedded stack's DynamoDB: every state a rollout can be in, as text and as --json, and the
 * refusals with their exit codes. Revisions are published the renewer's way from a test PKI, and
 * nodes' moves are made through the production rollout store (the agents' own behaviour is
 * test/integration/agent/rollout-steering.test.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoLock } from '../../adapters/aws/dynamo-lock.ts';
import { DynamoRolloutStore } from '../../adapters/aws/dynamo-rollout-store.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { S3KeystoreStore } from '../../adapters/aws/s3-keystore-store.ts';
import { storeRevisionObjects } from '../../core/renewal/publish-revision.ts';
import { aServerPki } from '../support/agent-keystores.ts';
import { aCertificateConfig } from '../support/agent-revisions.ts';
import { runCli } from '../support/cli.ts';
import { useLocalStack } from '../support/local-stack.ts';
import { tempDir } from '../support/temp-dir.ts';

const stack = useLocalStack({ prefix: 'rollout-cli', pebble: false });
let clients: AwsClients;
let rollouts: DynamoRolloutStore;
let configFile: string;

beforeAll(async () => {
  clients = createAwsClients(stack().clientConfigs);
  rollouts = new DynamoRolloutStore(clients.documents, stack().resources.tableName);
  configFile = join(await tempDir('acme-ha-rollout-cli-'), 'acme-ha.yaml');
  await writeFile(
    configFile,
    `version: 1
rollout: { maxParallel: 2 }
certificates:
  - id: web
    domains: [web.acme-ha.test]
    groups: [front]
    keystores: [{ format: pem }]
nodes:
  - { id: web-1, groups: [front] }
  - { id: web-2, groups: [front] }
  - { id: web-3, groups: [front] }
`,
  );
});

afterAll(() => clients?.destroy());

const rollout = (...args: string[]) => runCli(['rollout', ...args], stack().env);

/** Publishes revision `n` of `id` as the renewer does, with rollout terms. */
async function publish(id: string, nodes: string[] | null = ['web-1', 'web-2', 'web-3']): Promise<number> {
  const state = new DynamoStateStore(clients.documents, stack().resources.tableName);
  const pki = await aServerPki({ sans: ['web.acme-ha.test'] });
  const revision = ((await state.get(id)).current?.revision ?? 0) + 1;
  const record = await storeRevisionObjects({
    cert: { ...aCertificateConfig(id), keystores: [{ format: 'pem' }] },
    material: { privateKey: pki.leafKey, chain: pki.chain },
    revision,
    directory: 'https://ca.invalid/directory',
    configHash: 'test',
    now: new Date(),
    keystores: new S3KeystoreStore(clients.s3, stack().resources.bucket),
    secrets: { resolve: async () => 'unused' },
  });
  await state.publish(record, { maxParallel: 2, nodes });
  return revision;
}

function aJoin(id: string, revision: number, nodeId: string, nodes: string[] | null) {
  const now = new Date();
  return {
    certificateId: id,
    revision,
    nodeId,
    maxParallel: 2,
    nodes,
    now,
    canaryDeadline: new Date(now.getTime() + 600_000),
  };
}

describe('acme-ha rollout', () => {
  it('has status, pause and resume, each with --help; a missing certificate is a usage error', async () => {
    const help = await rollout('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/status \[options\] <certificate>/);
    expect(help.stdout).toMatch(/pause \[options\] <certificate>/);
    expect(help.stdout).toMatch(/resume \[options\] <certificate>/);
    expect((await rollout('resume', '--help')).stdout).toMatch(/ACME_HA_TOPIC_ARN/);
    expect(await rollout('status')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/missing required argument/),
    });
  });

  it('refuses without a table, and a certificate the configuration does not declare', async () => {
    expect(await runCli(['rollout', 'status', 'web'], { ...stack().env, ACME_HA_TABLE: '' })).toMatchObject({
      code: 2,
      stderr: 'acme-ha: ACME_HA_TABLE is not set; `acme-ha local up` prints the environment\n',
    });
    expect(await rollout('pause', 'nope', '--config', configFile)).toMatchObject({
      code: 3,
      stderr: `acme-ha: no certificate nope in ${configFile}\n`,
    });
  });

  it('before any revision: status says so, pause and resume refuse', async () => {
    expect(await rollout('status', 'never')).toMatchObject({
      code: 0,
      stdout: 'never: nothing published yet\n',
    });
    expect(JSON.parse((await rollout('status', 'never', '--json')).stdout)).toMatchObject({
      certificateId: 'never',
      revision: null,
      state: 'unpublished',
    });
    expect(await rollout('pause', 'never')).toMatchObject({
      code: 3,
      stderr: 'acme-ha: never: nothing published yet, no rollout to pause\n',
    });
  });

  it('published, nobody joined: not started, with the published terms; nothing to pause yet', async () => {
    const revision = await publish('fresh');
    const text = await rollout('status', 'fresh');
    expect(text.stdout).toMatch(
      new RegExp(`^fresh: rollout of revision ${revision} \\(serial [0-9a-f]+\\): not started$`, 'm'),
    );
    expect(text.stdout).toMatch(/^ {2}awaited {2}web-1, web-2, web-3$/m);
    expect(JSON.parse((await rollout('status', 'fresh', '--json')).stdout)).toMatchObject({
      state: 'not-started',
      maxParallel: 2,
      nodes: { declared: true, awaited: ['web-1', 'web-2', 'web-3'], pending: ['web-1', 'web-2', 'web-3'] },
    });
    expect(await rollout('resume', 'fresh')).toMatchObject({
      code: 3,
      stderr: `acme-ha: fresh: no node has joined the rollout of revision ${revision} yet; nothing to resume\n`,
    });
  });

  it('a rolling rollout: slots held, canary, done and pending; pause, pause again, resume', async () => {
    const revision = await publish('web');
    await rollouts.join(aJoin('web', revision, 'web-1', ['web-1', 'web-2', 'web-3']));
    await rollouts.promote('web', revision, 'web-1', new Date());
    await rollouts.served('web', revision, 'web-1', new Date());
    await rollouts.join(aJoin('web', revision, 'web-2', null));
    const lock = new DynamoLock(clients.documents, stack().resources.tableName, { now: () => new Date() });
    const lease = await lock.acquire('rollout/web/slot-1', 'web-2', 60_000);

    const status = await rollout('status', 'web', '--config', configFile);
    expect(status.code).toBe(0);
    console.log(`[rollout-cli] acme-ha rollout status web\n${status.stdout}`);
    expect(status.stdout).toMatch(
      new RegExp(`^web: rollout of revision ${revision} \\(serial [0-9a-f]+\\): rolling$`, 'm'),
    );
    expect(status.stdout).toMatch(/^ {2}maxParallel 2, slots held 1: web-2 until \S+$/m);
    expect(status.stdout).toMatch(/^ {2}canary {3}web-1$/m);
    expect(status.stdout).toMatch(/^ {2}nodes {4}1\/3 done \(declared nodes\)$/m);
    expect(status.stdout).toMatch(/^ {2}pending {2}web-2, web-3$/m);
    const json = JSON.parse((await rollout('status', 'web', '--json')).stdout);
    expect(json).toEqual({
      certificateId: 'web',
      revision,
      serial: expect.stringMatching(/^[0-9a-f]+$/),
      state: 'rolling',
      paused: false,
      pausedBy: null,
      pausedAt: null,
      maxParallel: 2,
      slots: [{ slot: 'rollout/web/slot-1', owner: 'web-2', until: lease?.expiresAt.toISOString() }],
      canary: 'web-1',
      canaryDeadline: expect.any(String),
      nodes: {
        declared: true,
        awaited: ['web-1', 'web-2', 'web-3'],
        joined: ['web-1', 'web-2'],
        done: ['web-1'],
        pending: ['web-2', 'web-3'],
        failed: [],
      },
      haltedBy: null,
      reason: null,
      startedAt: expect.any(String),
      updatedAt: expect.any(String),
      completedAt: null,
    });

    const paused = await rollout('pause', 'web');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(
      new RegExp(
        `^web: paused the rollout of revision ${revision}: no new slot is granted; nodes installing now finish$`,
        'm',
      ),
    );
    expect(paused.stdout).toMatch(/: rolling, PAUSED by \S+@\S+ at \S+$/m);
    expect(JSON.parse((await rollout('pause', 'web', '--json')).stdout)).toMatchObject({
      result: 'already-paused',
      rollout: { paused: true },
    });
    const resumed = await rollout('resume', 'web');
    expect(resumed.stdout).toMatch(
      /^web: resumed the rollout of revision \d+; nodes continue at their next reconcile \(--config with ACME_HA_TOPIC_ARN set tells them at once\)$/m,
    );
    expect((await rollouts.get('web', revision))?.pausedAt).toBeNull();
    expect(await rollout('resume', 'web')).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(
        /^web: the rollout of revision \d+ is neither paused nor halted: nothing to resume$/m,
      ),
    });
  });

  it('a halted rollout: why, and how to go on; pause refuses, resume reopens it with a canary', async () => {
    const revision = await publish('halts');
    await rollouts.join(aJoin('halts', revision, 'web-1', ['web-1', 'web-2', 'web-3']));
    await rollouts.halt('halts', revision, 'web-1', 'web-1: RELOAD_FAILED nginx said no', new Date());

    const status = await rollout('status', 'halts');
    console.log(`[rollout-cli] acme-ha rollout status halts\n${status.stdout}`);
    expect(status.stdout).toMatch(/: HALTED$/m);
    expect(status.stdout).toMatch(/^ {2}failed {3}web-1$/m);
    expect(status.stdout).toMatch(/^ {2}halted by web-1: web-1: RELOAD_FAILED nginx said no$/m);
    expect(status.stdout).toMatch(/^ {2}after the fix: acme-ha rollout resume halts \(no new order\)$/m);
    expect(await rollout('pause', 'halts')).toMatchObject({
      code: 3,
      stderr: `acme-ha: halts: the rollout of revision ${revision} is halted (by web-1: web-1: RELOAD_FAILED nginx said no): no node takes a slot anyway; \`acme-ha rollout resume halts\` continues it once the node is fixed\n`,
    });

    const resumed = await rollout('resume', 'halts', '--json');
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({
      result: 'reopened',
      announced: false,
      rollout: {
        state: 'canary',
        canary: 'web-1',
        haltedBy: null,
        reason: null,
        nodes: { failed: ['web-1'] },
      },
    });
    expect((await rollout('status', 'halts')).stdout).toMatch(
      /^ {2}canary {3}web-1 \(deadline passed: the next node to join takes the role\)$/m,
    );
  });

  it('complete: shown with its time; nothing to pause', async () => {
    const revision = await publish('done', null);
    await rollouts.join(aJoin('done', revision, 'web-1', null));
    await rollouts.promote('done', revision, 'web-1', new Date());
    await rollouts.served('done', revision, 'web-1', new Date());

    const status = await rollout('status', 'done');
    expect(status.stdout).toMatch(/\): complete$/m);
    expect(status.stdout).toMatch(/^ {2}nodes {4}1\/1 done \(every node that joined\)$/m);
    expect(status.stdout).toMatch(/, completed \S+$/m);
    expect(await rollout('pause', 'done')).toMatchObject({
      code: 3,
      stderr: `acme-ha: done: the rollout of revision ${revision} is complete: nothing to pause\n`,
    });
  });
});
