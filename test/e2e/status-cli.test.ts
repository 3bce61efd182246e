/**
 * The real `acme-ha status` against the embedded stack's table: a node the configuration declares
 * but whose agent never ran is listed as silent (never seen) and the exit code says the fleet is not
 * healthy; a node whose reports stopped shows when it was last seen; `--json` keeps its fields and
 * adds the verdicts; without `--config` only nodes that reported are listed, with a note.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoNodeStatusStore } from '../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { EXIT } from '../../cli/exit-codes.ts';
import type { FleetCertificate } from '../../core/agent/fleet-status.ts';
import type { NodeStatus } from '../../core/ports/node-status-store.ts';
import type { Revision } from '../../core/renewal/types.ts';
import { runCli } from '../support/cli.ts';
import { aNodeStatus, aRevision, days, minutes, writeFleet } from '../support/fleet-reports.ts';
import { useLocalStack } from '../support/local-stack.ts';
import { tempDir } from '../support/temp-dir.ts';

const stack = useLocalStack({ prefix: 'status-cli', pebble: false });
let clients: AwsClients;
let dir: string;

beforeAll(async () => {
  clients = createAwsClients(stack().clientConfigs);
  dir = await tempDir('acme-ha-status-cli-');
});
afterAll(() => clients?.destroy());

/** Publishes revisions 1..n of `certificateId` (the last one `publishedAgo`) and puts the reports. */
async function scene(
  certificateId: string,
  options: {
    readonly revisions: number;
    readonly publishedAgo: number;
    readonly statuses: readonly NodeStatus[];
  },
): Promise<Revision> {
  const table = stack().resources.tableName;
  const revisions = Array.from({ length: options.revisions }, (_, i) =>
    aRevision({
      certificateId,
      revision: i + 1,
      createdAt: new Date(Date.now() - options.publishedAgo - days(options.revisions - 1 - i)).toISOString(),
    }),
  );
  await writeFleet(
    {
      state: new DynamoStateStore(clients.documents, table),
      nodes: new DynamoNodeStatusStore(clients.documents, table),
    },
    { revisions, statuses: options.statuses.map((s) => ({ ...s, certificateId })) },
  );
  return revisions.at(-1) as Revision;
}

/** A certificate configuration declaring `nodes` (group `g`) for certificate `id`. */
async function configFor(id: string, nodes: readonly string[]): Promise<string> {
  const file = join(dir, `${id}.yaml`);
  await writeFile(
    file,
    [
      'version: 1',
      'certificates:',
      `  - { id: ${id}, domains: [${id}.acme-ha.test], groups: [g], keystores: [{ format: pem }] }`,
      'nodes:',
      ...nodes.map((n) => `  - { id: ${n}, groups: [g] }`),
      '',
    ].join('\n'),
  );
  return file;
}

const status = (args: readonly string[]) => runCli(['status', ...args], stack().env);

describe('acme-ha status', () => {
  it('shows a declared node that never reported as silent (never seen), and exits 4', async () => {
    await scene('tomcat', { revisions: 1, publishedAgo: days(3), statuses: [] });
    const config = await configFor('tomcat', ['tomcat-1']);

    const human = await status(['--config', config]);
    expect(human.code).toBe(EXIT.WORK_FAILED);
    const lines = human.stdout.split('\n');
    expect(lines).toContain(
      '  1 node(s): 0 current, 0 lagging, 0 failed, 1 silent (1 never seen) — NOT HEALTHY',
    );
    expect(lines).toContain(`  ${'tomcat-1'.padEnd(16)} disk    -  served    -  SILENT: never seen`);
    expect(human.stdout).not.toMatch(/note: without --config/);
    expect(human.stderr).toBe('acme-ha: the fleet is not healthy: tomcat/tomcat-1 silent (never seen)\n');

    const json = await status(['--config', config, '--json']);
    expect(json.code).toBe(EXIT.WORK_FAILED);
    const parsed = JSON.parse(json.stdout) as { healthy: boolean; certificates: FleetCertificate[] };
    expect(parsed.healthy).toBe(false);
    expect(parsed.certificates[0]).toMatchObject({
      certificateId: 'tomcat',
      currentRevision: 1,
      audienceKnown: true,
      healthy: false,
      nodes: [],
      neverSeen: [{ nodeId: 'tomcat-1', kind: 'node', seen: false, silent: true, problems: ['silent'] }],
      counts: { nodes: 0, current: 0, lagging: 0, failed: 0, silent: 1, neverSeen: 1 },
    });
  });

  it('says when a silent node was last seen; a healthy fleet exits 0', async () => {
    const lastSeen = new Date(Date.now() - minutes(50)).toISOString();
    await scene('quiet', {
      revisions: 2,
      publishedAgo: days(1),
      statuses: [
        aNodeStatus({ nodeId: 'quiet-1', revisionOnDisk: 2 }),
        aNodeStatus({ nodeId: 'quiet-2', revisionOnDisk: 2, updatedAt: lastSeen }),
      ],
    });
    const config = await configFor('quiet', ['quiet-1', 'quiet-2']);
    const result = await status(['--config', config]);
    expect(result.code).toBe(EXIT.WORK_FAILED);
    const row = result.stdout.split('\n').find((l) => l.startsWith('  quiet-2'));
    expect(row).toMatch(
      /^ {2}quiet-2 +disk +2 +served +2 +applied \d+\.\d d left SILENT: last seen (\S+) \(50 min ago\)$/,
    );
    expect(row).toContain(lastSeen);
    expect(result.stderr).toBe('acme-ha: the fleet is not healthy: quiet/quiet-2 silent\n');

    // With a longer silence threshold the same fleet is healthy.
    const patient = await status(['--config', config, '--silent-after', '60']);
    expect(patient.stderr).toBe('');
    expect(patient.code).toBe(EXIT.OK);
    expect(patient.stdout).toContain('  2 node(s): 2 current, 0 lagging, 0 failed, 0 silent\n');
  });

  it('without --config lists only the nodes that reported, as before, with a note', async () => {
    await scene('solo', {
      revisions: 1,
      publishedAgo: minutes(5),
      statuses: [aNodeStatus({ nodeId: 'solo-1', revisionOnDisk: 1 })],
    });
    const result = await status(['--certificate', 'solo']);
    expect(result.code).toBe(EXIT.OK);
    expect(result.stdout).toContain('  1 node(s): 1 current, 0 lagging, 0 failed, 0 silent\n');
    expect(result.stdout).toMatch(/\nnote: without --config only nodes that reported are listed/);

    const json = await status(['--certificate', 'solo', '--json']);
    expect(json.code).toBe(EXIT.OK);
    const [certificate] = (JSON.parse(json.stdout) as { certificates: FleetCertificate[] }).certificates;
    // The fields `status --json` always had, with their values, and the new ones beside them.
    expect(certificate).toMatchObject({
      certificateId: 'solo',
      currentRevision: 1,
      rollout: null,
      counts: { nodes: 1, current: 1, lagging: 0, failed: 0 },
      nodes: [
        {
          nodeId: 'solo-1',
          kind: 'node',
          revisionOnDisk: 1,
          revisionServed: 1,
          result: 'applied',
          lagging: false,
          failed: false,
          failingSince: null,
          errorCode: null,
          error: null,
          updatedAt: expect.any(String),
          declared: false,
          seen: true,
          revisionLag: 0,
          silent: false,
          daysLeft: expect.any(Number),
          expiring: false,
          problems: [],
        },
      ],
      audienceKnown: false,
      neverSeen: [],
      healthy: true,
    });
  });

  it('names a failed node and one lagging beyond the grace, and refuses a bad threshold', async () => {
    await scene('mixed', {
      revisions: 2,
      publishedAgo: minutes(180),
      statuses: [
        aNodeStatus({
          nodeId: 'm-1',
          revisionOnDisk: 1,
          result: 'rolled-back',
          errorCode: 'PROBE_FAILED',
          error: 'x',
        }),
        aNodeStatus({ nodeId: 'm-2', revisionOnDisk: 1 }),
      ],
    });
    const result = await status(['--certificate', 'mixed']);
    expect(result.code).toBe(EXIT.WORK_FAILED);
    expect(result.stdout).toMatch(
      / {2}m-2 +disk +1 +served +1 +applied \S+ d left LAGGING by 1 for over 120 min\n/,
    );
    expect(result.stderr).toBe(
      'acme-ha: the fleet is not healthy: mixed/m-1 failed+lagging, mixed/m-2 lagging\n',
    );
    expect((await status(['--certificate', 'mixed', '--lag-grace', '240'])).stderr).toBe(
      'acme-ha: the fleet is not healthy: mixed/m-1 failed\n',
    );

    const bad = await status(['--certificate', 'mixed', '--silent-after', 'soon']);
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.stderr).toBe('acme-ha: --silent-after: a whole number\n');
  });

  it('an unset ACME_HA_TABLE is a command-line problem for status and rollout (exit 2), in our words', async () => {
    for (const command of [
      ['status', '--certificate', 'mixed'],
      ['rollout', 'status', 'mixed'],
    ]) {
      const result = await runCli(command, { ...stack().env, ACME_HA_TABLE: '' });
      expect(result.code, command.join(' ')).toBe(EXIT.USAGE);
      expect(result.stderr).toBe(
        'acme-ha: ACME_HA_TABLE is not set; `acme-ha local up` prints the environment\n',
      );
    }
  });
});
