/**
 * Steering rollouts on the embedded stack: real Pebble, dynalite, s3rver, SQS and the SNS stand-in,
 * three agents in front of three real nginx servers, the real renewer and the built CLI.
 *
 * - maxParallel comes from the certificate configuration, published with each revision: the
 *   agents' own differing values are ignored (with a warning), the reload windows show at most that
 *   many nodes at once, and the rollout ends `complete` once the three declared nodes serve it.
 * - A canary whose reload fails halts the rollout; after the fix, `acme-ha rollout resume` continues
 *   it with no new order: Pebble's own request log shows zero requests from the resume until every
 *   node serves the revision, and no revision 3 exists. The daemons reconcile only hourly: the
 *   resume's revision event is what moves them.
 * - `acme-ha rollout pause`: a node that wants a slot gets none (nothing written); after `resume`
 *   it installs.
 * - A rollout record written before 0.3 (no node lists, no terms) still reads, joins and completes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { DynamoRolloutStore } from '../../../adapters/aws/dynamo-rollout-store.ts';
import { DynamoStateStore } from '../../../adapters/aws/dynamo-state-store.ts';
import type { AgentRuntime } from '../../../agent/compose-agent.ts';
import { syncOnce } from '../../../core/agent/agent-loop.ts';
import { type AcmeHaConfig, configSchema } from '../../../core/config/certificate-config.ts';
import type { NodeStatus } from '../../../core/ports/node-status-store.ts';
import { rolloutKey } from '../../../core/table-keys.ts';
import { type NginxServer, startNginx } from '../../../local/nginx-server.ts';
import {
  agentConfigFor,
  createTestAgent,
  forceRenewal,
  nodeStatuses,
  type RunningAgent,
  startDaemon,
} from '../../support/agent-fleet.ts';
import { aServerPki, writePemFiles } from '../../support/agent-keystores.ts';
import { runCli } from '../../support/cli.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { tempDir } from '../../support/temp-dir.ts';

const CERT = 'steer';
const NAME = 'steer.acme-ha.test';
const NODES = ['s1', 's2', 's3'] as const;
type NodeId = (typeof NODES)[number];

/** Every request Pebble handled, from its own log ("<METHOD> <path> -> calling handler()"). */
const pebbleRequests: string[] = [];
const stack = useLocalStack({
  nodes: [...NODES],
  prefix: 'rollout-steering',
  pebble: {
    onOutput: (line) => {
      const request = /(\w+ \S+) -> calling handler\(\)/.exec(line)?.[1];
      if (request) pebbleRequests.push(request);
    },
  },
});

let base: string;
let configFile: string;
let config: AcmeHaConfig;
let clients: AwsClients;
let rollouts: DynamoRolloutStore;
const servers = new Map<NodeId, NginxServer>();
const stops: (() => Promise<void>)[] = [];
const logs = new Map<NodeId, string[]>();

afterAll(async () => {
  clients?.destroy();
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

beforeAll(async () => {
  base = await tempDir('acme-ha-steering-');
  const directory = stack().pebble?.directoryUrl;
  if (!directory) throw new Error('the stack runs without Pebble');
  config = configSchema.parse({
    version: 1,
    defaults: { directory },
    rollout: { maxParallel: 2 },
    certificates: [{ id: CERT, domains: [NAME], groups: ['web'], keystores: [{ format: 'pem' }] }],
    nodes: NODES.map((id) => ({ id, groups: ['web'] })),
  });
  configFile = join(base, 'acme-ha.yaml');
  await writeFile(configFile, JSON.stringify(config));
  clients = createAwsClients(stack().clientConfigs);
  rollouts = new DynamoRolloutStore(clients.documents, stack().resources.tableName);
  const bootstrap = await aServerPki({ sans: [NAME] });
  for (const id of NODES) {
    const dir = join(base, id);
    await mkdir(dir, { recursive: true });
    await writePemFiles(dir, bootstrap);
    const nginx = await startNginx({
      directory: join(dir, 'nginx'),
      certificateFile: join(dir, 'fullchain.pem'),
      keyFile: join(dir, 'privkey.pem'),
    });
    stops.push(nginx.stop);
    servers.set(id, nginx);
  }
});

/** An agent for `id` on its nginx; `broken` reloads with a command that fails. */
async function agentFor(
  id: NodeId,
  options: { broken?: boolean; agentMaxParallel?: number; slotWaitSeconds?: number } = {},
): Promise<AgentRuntime> {
  const nginx = servers.get(id);
  if (!nginx) throw new Error(`no nginx for ${id}`);
  const dir = join(base, id);
  const agentConfig = agentConfigFor(
    stack(),
    id,
    join(dir, 'state'),
    [
      {
        certificateId: CERT,
        format: 'pem',
        path: dir,
        files: ['fullchain.pem', 'privkey.pem'],
        reload: { command: options.broken ? ['/bin/false'] : [...nginx.reloadCommand], timeoutSeconds: 10 },
        probe: [{ port: nginx.port, sni: NAME }],
      },
    ],
    {
      ...(options.agentMaxParallel ? { maxParallel: options.agentMaxParallel } : {}),
      ...(options.slotWaitSeconds ? { canaryTimeoutSeconds: options.slotWaitSeconds } : {}),
    },
  );
  const lines = logs.get(id) ?? [];
  logs.set(id, lines);
  return createTestAgent(stack(), agentConfig, lines);
}

async function syncWith(runtime: AgentRuntime) {
  try {
    return (await syncOnce(runtime.deps, runtime.options)).outcomes.map((o) => o.result);
  } finally {
    runtime.close();
  }
}

const cli = (...args: string[]) => runCli(['rollout', ...args], stack().env);

async function statusOf(): Promise<Map<string, NodeStatus>> {
  return new Map((await nodeStatuses(stack(), CERT)).map((s) => [s.nodeId, s]));
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Math.round(performance.now() - started);
}

/** The most nodes whose reload windows (from their status records) overlap at one moment. */
function mostAtOnce(statuses: readonly NodeStatus[]): number {
  const edges = statuses.flatMap((s) => [
    { at: Date.parse(s.reloadStartedAt ?? ''), step: 1 },
    { at: Date.parse(s.reloadFinishedAt ?? ''), step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let inside = 0;
  let most = 0;
  for (const edge of edges) {
    inside += edge.step;
    most = Math.max(most, inside);
  }
  return most;
}

describe('rollouts an operator can steer', () => {
  it("obeys the configuration's maxParallel, whatever the agents say, and completes", async () => {
    await forceRenewal(stack(), config);
    const runtimes = [
      await agentFor('s1', { agentMaxParallel: 1 }),
      await agentFor('s2', { agentMaxParallel: 3 }),
      await agentFor('s3'),
    ];

    const results = await Promise.all(runtimes.map(syncWith));

    expect(results).toEqual([['applied'], ['applied'], ['applied']]);
    expect(await rollouts.get(CERT, 1)).toMatchObject({
      state: 'complete',
      maxParallel: 2,
      nodes: [...NODES],
      done: [...NODES],
      failed: [],
    });
    expect(mostAtOnce([...(await statusOf()).values()])).toBeLessThanOrEqual(2);
    const warned = (id: NodeId) =>
      (logs.get(id) ?? []).some((l) => l.includes('"message":"agent rollout.maxParallel ignored"'));
    expect(NODES.map(warned)).toEqual([true, true, false]);
  });

  it('resumes a halted rollout after the fix with no new order: zero CA requests until all serve it', async () => {
    await forceRenewal(stack(), config);
    // s1, the canary, fails its reload and rolls back (its queued event then finds the halt).
    await syncWith(await agentFor('s1', { broken: true }));
    expect(await rollouts.get(CERT, 2)).toMatchObject({ state: 'halted', haltedBy: 's1', canary: 's1' });
    expect(await syncWith(await agentFor('s2'))).toEqual(['halted']);
    const halted = await cli('status', CERT, '--json');
    expect(halted.code).toBe(0);
    expect(JSON.parse(halted.stdout)).toMatchObject({
      revision: 2,
      state: 'halted',
      haltedBy: 's1',
      maxParallel: 2,
      canary: 's1',
      nodes: { declared: true, awaited: [...NODES], done: [], pending: [...NODES], failed: ['s1'] },
    });

    // s1 fixed. Daemons that reconcile hourly: at start each finds the rollout halted.
    const daemons: RunningAgent[] = [];
    for (const id of NODES) daemons.push(startDaemon(await agentFor(id)));
    try {
      await waitFor('every node to report the halt', async () =>
        [...(await statusOf()).values()].every((s) => s.result === 'halted' && s.targetRevision === 2),
      );
      const requestsBefore = pebbleRequests.length;
      expect(requestsBefore).toBeGreaterThan(0);

      const resumed = await runCli(['rollout', 'resume', CERT, '--config', configFile], stack().env);
      expect(resumed).toMatchObject({ code: 0, stderr: '' });
      expect(resumed.stdout).toMatch(
        /^steer: resumed the halted rollout of revision 2 with no new order: the first node to sync is its canary; nodes were told \(revision event\)$/m,
      );
      const convergedMs = await waitFor('every node to apply revision 2', async () =>
        [...(await statusOf()).values()].every((s) => s.result === 'applied' && s.revisionOnDisk === 2),
      );
      const final = await rollouts.get(CERT, 2);
      expect(final).toMatchObject({ state: 'complete', done: [...NODES], failed: [] });

      expect(pebbleRequests.length - requestsBefore).toBe(0);
      const state = await new DynamoStateStore(clients.documents, stack().resources.tableName).get(CERT);
      expect(state).toMatchObject({ current: { revision: 2 }, failure: null });
      expect(
        await new DynamoStateStore(clients.documents, stack().resources.tableName).getRevision(CERT, 3),
      ).toBeNull();
      const status = await cli('status', CERT);
      expect(status.stdout).toMatch(/^steer: rollout of revision 2 \(serial [0-9a-f]+\): complete$/m);
      expect(status.stdout).toMatch(/^ {2}nodes {4}3\/3 done \(declared nodes\)$/m);
      console.log(
        `[steering] halted by s1, resumed with ${pebbleRequests.length - requestsBefore} CA requests (Pebble's log: ${requestsBefore} before); 3 nodes on revision 2 ${convergedMs} ms after the resume, canary ${final?.canary}`,
      );
    } finally {
      await Promise.all(daemons.map((d) => d.stop()));
      for (const d of daemons) d.runtime.close();
    }
  });

  it('pause: a node asking for a slot gets none and writes nothing; resume: it installs', async () => {
    await forceRenewal(stack(), config);
    expect(await syncWith(await agentFor('s1'))).toEqual(['applied']);
    const paused = await cli('pause', CERT, '--json');
    expect(paused.code).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({
      result: 'paused',
      rollout: { revision: 3, state: 'rolling', paused: true, pausedBy: expect.stringContaining('@') },
    });
    const before = await readFile(join(base, 's2', 'fullchain.pem'));

    expect(await syncWith(await agentFor('s2', { slotWaitSeconds: 1 }))).toEqual(['interrupted']);
    expect((await readFile(join(base, 's2', 'fullchain.pem'))).equals(before)).toBe(true);
    expect((await cli('status', CERT)).stdout).toMatch(
      /^steer: rollout of revision 3 \(serial [0-9a-f]+\): rolling, PAUSED by \S+@\S+ at \S+$/m,
    );
    expect(await cli('pause', CERT)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^steer: the rollout of revision 3 was already paused$/m),
    });

    const resumed = await cli('resume', CERT, '--json');
    expect(JSON.parse(resumed.stdout)).toMatchObject({
      result: 'resumed',
      announced: false,
      rollout: { paused: false },
    });
    expect(await Promise.all([syncWith(await agentFor('s2')), syncWith(await agentFor('s3'))])).toEqual([
      ['applied'],
      ['applied'],
    ]);
    expect((await rollouts.get(CERT, 3))?.state).toBe('complete');
    expect(await cli('pause', CERT)).toMatchObject({
      code: 3,
      stderr: 'acme-ha: steer: the rollout of revision 3 is complete: nothing to pause\n',
    });
  });

  it('reads, joins and completes a rollout record written before 0.3', async () => {
    const legacy = 'legacy';
    await clients.documents.send(
      new PutCommand({
        TableName: stack().resources.tableName,
        Item: {
          ...rolloutKey(legacy, 5),
          certificateId: legacy,
          revision: 5,
          canary: 'old-1',
          state: 'rolling',
          maxParallel: 1,
          canaryDeadline: '2026-01-01T00:10:00.000Z',
          haltedBy: null,
          reason: null,
          startedAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:01:00.000Z',
        },
      }),
    );
    expect(await rollouts.get(legacy, 5)).toMatchObject({
      state: 'rolling',
      nodes: null,
      joined: [],
      done: [],
      failed: [],
      pausedBy: null,
      pausedAt: null,
      completedAt: null,
    });
    const now = new Date();
    const joined = await rollouts.join({
      certificateId: legacy,
      revision: 5,
      nodeId: 'old-2',
      maxParallel: 4,
      nodes: null,
      now,
      canaryDeadline: new Date(now.getTime() + 60_000),
    });
    expect(joined).toMatchObject({ canary: 'old-1', maxParallel: 1, joined: ['old-2'] });
    expect(await rollouts.served(legacy, 5, 'old-2', now)).toMatchObject({
      state: 'complete',
      done: ['old-2'],
    });
  });
});
