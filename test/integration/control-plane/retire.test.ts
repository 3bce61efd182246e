/**
 * Retirement as an operator meets it, through the built CLI in child processes against the embedded
 * stack and Pebble: a certificate taken out of the configuration is announced by `plan`, marked
 * retired by the next `renew` (never deleted), reported retired by the node's `agent sync` (files
 * kept), shown by `status`; `agent sync --purge` removes its files and nothing else; put back in the
 * configuration, it is in service again and installed anew.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { DynamoStateStore } from '../../../adapters/aws/dynamo-state-store.ts';
import type { FleetCertificate } from '../../../core/agent/fleet-status.ts';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { runCli } from '../../support/cli.ts';
import { tempDir } from '../../support/temp-dir.ts';

let stack: LocalStack;
let clients: AwsClients;
let dir: string;
const file = (name: string) => join(dir, name);

function fleetConfig(ids: readonly string[]): string {
  return JSON.stringify({
    version: 1,
    defaults: { directory: stack.pebble?.directoryUrl },
    certificates: ids.map((id) => ({
      id,
      domains: [`${id}.acme-ha.test`],
      nodes: ['web-1'],
      keystores: [{ format: 'pem' }],
    })),
    nodes: [{ id: 'web-1', groups: ['web'] }],
  });
}

function agentConfig(): string {
  return JSON.stringify({
    version: 1,
    node: { id: 'web-1', groups: ['web'] },
    aws: {
      region: stack.region,
      table: stack.resources.tableName,
      bucket: stack.resources.bucket,
      queueUrl: stack.resources.queues['web-1']?.url,
    },
    stateDirectory: file('state'),
    targets: ['keep', 'gone'].map((id) => ({ certificateId: id, format: 'pem', path: file(id) })),
  });
}

beforeAll(async () => {
  stack = await startLocalStack({
    prefix: 'retire',
    nodes: ['web-1'],
    env: { ...process.env, PEBBLE_VA_ALWAYS_VALID: '1' },
  });
  clients = createAwsClients(stack.clientConfigs);
  dir = await tempDir('acme-ha-retire-');
  await writeFile(file('both.yaml'), fleetConfig(['keep', 'gone']));
  await writeFile(file('one.yaml'), fleetConfig(['keep']));
  await writeFile(file('agent.yaml'), agentConfig());
  for (const target of ['keep', 'gone']) await mkdir(file(target));
}, 60_000);

afterAll(async () => {
  clients?.destroy();
  await stack?.stop();
});

const cli = (...args: string[]) => runCli(args, stack.env);
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function fleetOf(id: string): Promise<FleetCertificate | undefined> {
  const status = await cli('status', '--config', file('one.yaml'), '--json');
  expect(status.code).toBe(0);
  const { certificates } = JSON.parse(status.stdout) as { certificates: FleetCertificate[] };
  return certificates.find((c) => c.certificateId === id);
}

describe('a certificate taken out of the configuration', () => {
  it('is retired by the next run, reported by the node, listed by status, and purged on demand', async () => {
    const issued = await cli('renew', '--config', file('both.yaml'));
    expect([issued.code, issued.stderr]).toEqual([0, '']);
    expect(issued.stdout).toMatch(/^gone: renewed .*\n.*keep: renewed|^keep: renewed .*\n.*gone: renewed/s);
    const installed = await cli('agent', 'sync', '--config', file('agent.yaml'));
    expect([installed.code, installed.stdout]).toEqual([0, expect.stringMatching(/gone: applied/)]);

    // plan announces it, and writes nothing.
    const state = new DynamoStateStore(clients.documents, stack.resources.tableName);
    const before = await state.catalog();
    const plan = await cli('plan', '--config', file('one.yaml'));
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`gone: RETIRE: no longer in ${file('one.yaml')}`);
    expect(await state.catalog()).toEqual(before);
    expect((await state.get('gone')).retiredAt).toBeNull();

    const run = await cli('renew', '--config', file('one.yaml'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`gone: retired (no longer in ${file('one.yaml')}`);
    const { retiredAt, current } = await state.get('gone');
    expect(retiredAt).not.toBeNull();
    // Nothing deleted: the revision is still there.
    expect(current?.revision).toBe(1);

    const synced = await cli('agent', 'sync', '--config', file('agent.yaml'));
    expect(synced.code).toBe(0);
    expect(synced.stdout).toContain(`gone: retired revision 1 (installed 1)`);
    expect(synced.stdout).toContain(
      `retired since ${retiredAt}; its files stay until \`agent sync --purge\``,
    );
    expect(synced.stdout).toMatch(/keep: up-to-date revision 1/);
    expect(await exists(join(file('gone'), 'fullchain.pem'))).toBe(true);

    expect(await fleetOf('gone')).toMatchObject({
      retiredAt,
      healthy: true,
      counts: { holdingRetired: 1, lagging: 0, silent: 0 },
      nodes: [{ nodeId: 'web-1', result: 'retired', revisionOnDisk: 1 }],
    });
    const table = await cli('status', '--config', file('one.yaml'));
    expect(table.stdout).toContain(`gone: RETIRED since ${retiredAt} (no longer in the configuration)`);
    expect(table.stdout).toContain('1 still hold its files (`acme-ha agent sync --purge` removes them)');

    const purged = await cli('agent', 'sync', '--config', file('agent.yaml'), '--purge');
    expect(purged.code).toBe(0);
    expect(purged.stdout).toMatch(/gone: purged .* — 5 file\(s\) removed with their backups/);
    for (const name of ['fullchain.pem', 'privkey.pem', 'cert.pem', 'chain.pem', 'combined.pem'])
      expect(await exists(join(file('gone'), name)), name).toBe(false);
    expect(await exists(join(file('keep'), 'fullchain.pem'))).toBe(true);
    expect(await fleetOf('gone')).toMatchObject({
      counts: { holdingRetired: 0 },
      nodes: [{ nodeId: 'web-1', result: 'retired', revisionOnDisk: null }],
    });
  });

  it('is in service again once the configuration names it, and installed anew', async () => {
    const run = await cli('renew', '--config', file('both.yaml'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('gone: in service again');
    const synced = await cli('agent', 'sync', '--config', file('agent.yaml'));
    expect(synced.code).toBe(0);
    expect(synced.stdout).toMatch(/gone: applied revision 1/);
    expect(await exists(join(file('gone'), 'fullchain.pem'))).toBe(true);
  });
});
