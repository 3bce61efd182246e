/**
 * `acme-ha import` as a user runs it (the built CLI in a child process) against the embedded stack:
 * an existing JKS adopted as revision 1 with no CA at all (the stack runs without Pebble), installed
 * by an agent as any revision; every refused input leaves the table and the bucket as they were.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { DynamoStateStore } from '../../../adapters/aws/dynamo-state-store.ts';
import { syncOnce } from '../../../core/agent/agent-loop.ts';
import { openKeystore } from '../../../core/keystore/keystore.ts';
import type { RenewalPlan } from '../../../core/renewal/plan-renewals.ts';
import { agentConfigFor, createTestAgent, PASSWORD, PASSWORD_ENV } from '../../support/agent-fleet.ts';
import { aServerPki, jksOf, serialOf } from '../../support/agent-keystores.ts';
import { runCli } from '../../support/cli.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { tempDir } from '../../support/temp-dir.ts';

const NAME = 'files.acme-ha.test';
const stack = useLocalStack({ nodes: ['mft-1'], prefix: 'import', pebble: false });
let clients: AwsClients;
let dir: string;

const config = (keyType = 'ec-p256') =>
  JSON.stringify({
    version: 1,
    defaults: { directory: 'https://ca.invalid/directory' },
    certificates: [
      {
        id: 'files',
        domains: [NAME],
        keyType,
        groups: ['mft'],
        keystores: [{ format: 'jks', alias: 'server', password: { env: 'IMPORT_KS' } }, { format: 'pem' }],
      },
    ],
    nodes: [{ id: 'mft-1', groups: ['mft'] }],
  });

beforeAll(async () => {
  clients = createAwsClients(stack().clientConfigs);
  dir = await tempDir('acme-ha-import-');
});
afterAll(() => clients?.destroy());

async function files(name: string, content: string | Buffer): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, content);
  return file;
}

const importCli = async (args: string[], keyType?: string) =>
  runCli(
    [
      'import',
      '--config',
      await files(`config-${keyType ?? 'ec'}.yaml`, config(keyType)),
      '--certificate',
      'files',
      ...args,
    ],
    {
      ...stack().env,
      // The published keystores' password: the one the agents' targets name.
      IMPORT_KS: PASSWORD,
      OLD_KS: 'old-pass',
    },
  );

async function nothingWritten(): Promise<void> {
  const state = await new DynamoStateStore(clients.documents, stack().resources.tableName).get('files');
  expect(state.current).toBeNull();
  const { KeyCount } = await clients.s3.send(
    new ListObjectsV2Command({ Bucket: stack().resources.bucket, Prefix: 'certificates/files/' }),
  );
  expect(KeyCount ?? 0).toBe(0);
}

describe('acme-ha import', () => {
  it('refuses a wrong password, other names or another key type, with exit 3 and nothing written', async () => {
    const pki = await aServerPki({ sans: [NAME] });
    const jks = await files('old.jks', jksOf(pki, 'old-pass'));
    const wrong = await importCli(['--keystore', jks, '--password-env', 'IMPORT_KS']);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/password/i);

    const other = await files(
      'other.jks',
      jksOf(await aServerPki({ sans: ['other.acme-ha.test'] }), 'old-pass'),
    );
    const names = await importCli(['--keystore', other, '--password-env', 'OLD_KS']);
    expect([names.code, names.stderr.trim()]).toEqual([
      3,
      `acme-ha: the certificate is for other.acme-ha.test; files in the configuration is for ${NAME}`,
    ]);

    const keyType = await importCli(['--keystore', jks, '--password-env', 'OLD_KS'], 'rsa-2048');
    expect([keyType.code, keyType.stderr.trim()]).toEqual([
      3,
      'acme-ha: the key is ec-p256; files in the configuration has keyType rsa-2048 (set keyType: ec-p256 to adopt it)',
    ]);
    await nothingWritten();
  });

  it('publishes an existing JKS as revision 1, which an agent installs as usual; a second import is refused', async () => {
    const pki = await aServerPki({ sans: [NAME] });
    const jks = await files('adopted.jks', jksOf(pki, 'old-pass'));
    const imported = await importCli(['--keystore', jks, '--password-env', 'OLD_KS', '--json']);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({
      certificateId: 'files',
      revision: 1,
      serial: serialOf(pki),
    });

    // The node's agent installs it from the store.
    const target = join(dir, 'mft-1', 'server.jks');
    await mkdir(join(dir, 'mft-1'), { recursive: true });
    const agent = await createTestAgent(
      stack(),
      agentConfigFor(stack(), 'mft-1', join(dir, 'mft-1', 'state'), [
        {
          certificateId: 'files',
          format: 'jks',
          path: target,
          alias: 'server',
          password: { env: PASSWORD_ENV },
        },
      ]),
    );
    try {
      const result = await syncOnce(agent.deps, agent.options);
      expect(result.outcomes.map((o) => [o.certificateId, o.revision, o.result])).toEqual([
        ['files', 1, 'applied'],
      ]);
    } finally {
      agent.close();
    }
    const installed = openKeystore(await readFile(target), PASSWORD, target);
    expect(installed.chain[0].serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '')).toBe(serialOf(pki));

    const again = await importCli(['--keystore', jks, '--password-env', 'OLD_KS']);
    expect([again.code, again.stderr.trim()]).toEqual([
      3,
      'acme-ha: files already has revision 1: import adopts a certificate before the first order',
    ]);

    // Renewal then follows from its dates.
    const planned = await runCli(['plan', '--config', join(dir, 'config-ec.yaml'), '--json'], stack().env);
    const [entry] = (JSON.parse(planned.stdout) as { certificates: RenewalPlan[] }).certificates;
    expect(entry).toMatchObject({
      due: false,
      reason: 'not-due',
      current: { revision: 1, serial: serialOf(pki) },
    });
  });
});
