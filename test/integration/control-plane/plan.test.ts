/**
 * `acme-ha plan` as a user runs it (the built CLI in a child process) against the embedded stack:
 * per certificate due or not and why, the next check, and who installs what. It makes no CA request
 * (the CA is reached through a counting proxy: no connection) and writes nothing (the table and the
 * bucket are the same before and after).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { parseConfig } from '../../../core/config/parse-config.ts';
import type { RenewalPlan } from '../../../core/renewal/plan-renewals.ts';
import { runRenewals } from '../../../core/renewal/run-renewals.ts';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { runCli } from '../../support/cli.ts';
import { aControlPlane } from '../../support/control-plane.ts';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.ts';
import { tempDir } from '../../support/temp-dir.ts';

let stack: LocalStack;
let clients: AwsClients;
let ca: FaultProxy;
let dir: string;

/** The configuration as YAML's JSON subset, with the CA behind the counting proxy. */
function configText(extraDomain?: string): string {
  return JSON.stringify({
    version: 1,
    defaults: { directory: `https://127.0.0.1:${ca.port}/dir` },
    certificates: [
      {
        id: 'app',
        domains: ['app.acme-ha.test', ...(extraDomain ? [extraDomain] : [])],
        groups: ['web'],
        dmz: ['dmz-1'],
        renewBefore: '30d',
        key: { rotation: 'reuse' },
        keystores: [{ format: 'jks', alias: 'server', password: { env: 'PLAN_KS' } }, { format: 'pem' }],
      },
      { id: 'fresh', domains: ['fresh.acme-ha.test'], nodes: ['web-2'], keystores: [{ format: 'pem' }] },
    ],
    nodes: [
      { id: 'web-1', groups: ['web'] },
      { id: 'web-2', groups: ['web'] },
    ],
    dmz: [{ id: 'dmz-1', url: 'https://dmz-1.internal:8443', pushedBy: ['web-1'] }],
  });
}

async function snapshot(): Promise<string> {
  const { Items } = await clients.documents.send(new ScanCommand({ TableName: stack.resources.tableName }));
  const { Contents } = await clients.s3.send(new ListObjectsV2Command({ Bucket: stack.resources.bucket }));
  return JSON.stringify({ items: Items, objects: (Contents ?? []).map((o) => [o.Key, o.ETag]) });
}

beforeAll(async () => {
  stack = await startLocalStack({
    prefix: 'plan',
    nodes: ['web-1', 'web-2'],
    env: { ...process.env, PEBBLE_VA_ALWAYS_VALID: '1' },
  });
  clients = createAwsClients(stack.clientConfigs);
  ca = await startFaultProxy(stack.pebble?.directoryUrl ?? '');
  dir = await tempDir('acme-ha-plan-');
  const plane = aControlPlane(stack, clients, { PLAN_KS: 'changeit' });
  const [issued] = (await runRenewals(parseConfig(configText(), 'test'), plane, { certificateId: 'app' }))
    .outcomes;
  expect(issued?.result).toBe('renewed');
}, 60_000);

afterAll(async () => {
  await ca?.stop();
  clients?.destroy();
  await stack?.stop();
});

async function plan(args: string[], config = configText()) {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, config);
  return runCli(['plan', '--config', file, ...args], env());
}

/** The stack's environment as `local up` prints it, its CA being the counting proxy. */
const env = () => ({ ...stack.env, ACME_HA_ACME_DIRECTORY_URL: `https://127.0.0.1:${ca.port}/dir` });

describe('acme-ha plan', () => {
  it('says per certificate whether it is due and why, and who installs it; no CA request, no write', async () => {
    const before = await snapshot();
    const connections = ca.connections;
    const result = await plan(['--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { certificates } = JSON.parse(result.stdout) as { certificates: RenewalPlan[] };
    const [app, fresh] = certificates;
    expect(app).toMatchObject({
      certificateId: 'app',
      due: false,
      reason: 'not-due',
      nextRevision: 2,
      keyRotation: 'reuse',
      renewBefore: '30d',
      keystores: ['jks (alias server)', 'pem'],
      holders: [
        { id: 'web-1', revisionOnDisk: null },
        { id: 'web-2', revisionOnDisk: null },
        { id: 'dmz:dmz-1', revisionOnDisk: null },
      ],
      failure: null,
    });
    // renewBefore 30d (Pebble's certificates live five years): due 30 days before expiry.
    const notAfter = Date.parse(app?.current?.notAfter ?? '');
    expect(Date.parse(app?.nextCheckAt ?? '')).toBe(notAfter - 30 * 86_400_000);
    expect(fresh).toMatchObject({
      certificateId: 'fresh',
      due: true,
      reason: 'first-issuance',
      nextCheckAt: null,
      current: null,
      nextRevision: 1,
      holders: [{ id: 'web-2', revisionOnDisk: null }],
    });
    expect(ca.connections).toBe(connections);
    expect(await snapshot()).toBe(before);
  });

  it('a changed name makes it due (config-changed); the text form says the same', async () => {
    const result = await plan(['--certificate', 'app'], configText('www.acme-ha.test'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^app: DUE \(config-changed\): the next run orders revision 2\n/);
    expect(result.stdout).toMatch(/ {2}now: revision 1, serial [0-9a-f]+, valid until \S+\n/);
    expect(result.stdout).toContain('  keystores: jks (alias server), pem\n');
    expect(result.stdout).toContain(
      '  installed by: web-1 (nothing yet), web-2 (nothing yet), dmz:dmz-1 (nothing yet)\n',
    );
    expect(result.stdout).not.toContain('fresh');
  });

  it('refuses bad input with one line: exit 3 (a file, the configuration, a certificate), 2 (the stack unset)', async () => {
    const unknown = await plan(['--certificate', 'nope']);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([
      3,
      expect.stringMatching(/^acme-ha: no certificate nope in /),
    ]);
    const missing = await runCli(['plan', '--config', join(dir, 'missing.yaml')], env());
    expect([missing.code, missing.stderr.trim()]).toEqual([
      3,
      `acme-ha: cannot read configuration ${join(dir, 'missing.yaml')}: no such file`,
    ]);
    const bad = await plan([], '{"version": 1, "certificates": []}');
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('declare at least one certificate');
    const file = join(dir, 'ok.yaml');
    await writeFile(file, configText());
    const unset = await runCli(['plan', '--config', file], { ...env(), ACME_HA_TABLE: '' });
    expect([unset.code, unset.stderr.trim()]).toEqual([
      2,
      'acme-ha: ACME_HA_TABLE is not set; `acme-ha local up` prints the environment',
    ]);
  });
});
