/**
 * What `agent sync` reports, through the real `acme-ha` bin against the embedded stack, with the
 * revision's event in the node's queue as the renewer leaves it (published on the SNS stand-in,
 * delivered into the node's SQS queue): one outcome per certificate revision, the event deleted;
 * an error line that points where the details are (the JSON on stdout, or the lines above); an unset
 * password variable as a command-line problem (exit 2).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { SnsEventPublisher } from '../../adapters/aws/sns-event-publisher.ts';
import { aServerPki, serialOf } from '../support/agent-keystores.ts';
import { KEYSTORE_PASSWORD_ENV, publishRevision, stackStores } from '../support/agent-revisions.ts';
import { runCli } from '../support/cli.ts';
import { useLocalStack } from '../support/local-stack.ts';
import type { TestPki } from '../support/pki.ts';
import { tempDir } from '../support/temp-dir.ts';

const NODE = 'sync-1';
const stack = useLocalStack({ nodes: [NODE], prefix: 'agent-sync', pebble: false });
let clients: AwsClients;
let dir: string;
let configFile: string;

beforeAll(async () => {
  clients = createAwsClients(stack().clientConfigs);
  dir = await tempDir('acme-ha-agent-sync-');
  configFile = join(dir, 'agent.yaml');
  const s = stack();
  await writeFile(
    configFile,
    [
      'version: 1',
      `node: { id: ${NODE}, groups: [web] }`,
      'aws:',
      `  region: ${s.region}`,
      `  table: ${s.resources.tableName}`,
      `  bucket: ${s.resources.bucket}`,
      `  queueUrl: ${s.resources.queues[NODE]?.url}`,
      `stateDirectory: ${join(dir, 'state')}`,
      'targets:',
      '  - certificateId: web',
      '    format: pem',
      `    path: ${dir}`,
      '    files: [fullchain.pem, privkey.pem]',
      '    names: [app.acme-ha.test]',
      '',
    ].join('\n'),
  );
});
afterAll(() => clients?.destroy());

/** Publishes a revision as the renewer does: the records and objects, then its event on the topic. */
async function publishWithEvents(pki: TestPki, eventRevisions?: (revision: number) => number[]) {
  const record = await publishRevision(stackStores(stack(), clients), 'web', pki);
  const events = new SnsEventPublisher(clients.sns, stack().resources.topicArn);
  for (const revision of eventRevisions?.(record.revision) ?? [record.revision])
    await events.publish({
      type: 'certificate.revision_published',
      certificateId: 'web',
      revision,
      groups: ['web'],
      nodes: [],
      dmz: [],
    });
  return record.revision;
}

/** The node queue's messages: waiting, and received but not deleted. */
async function queued(): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack().resources.queues[NODE]?.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

const sync = (...args: string[]) => runCli(['agent', 'sync', '--config', configFile, ...args], stack().env);

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

interface SyncJson {
  outcomes: { certificateId: string; result: string; revision: number | null }[];
  messages: { acknowledged: number; released: number };
}

describe('agent sync reports each certificate revision once', () => {
  it('the reconcile installs the revision; its queued event is deleted, not reported again (--json)', async () => {
    const pki = await aServerPki();
    const revision = await publishWithEvents(pki);
    expect(await queued()).toEqual({ visible: 1, inFlight: 0 });

    const result = await sync('--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as SyncJson;
    expect(summary.outcomes).toHaveLength(1);
    expect(summary.outcomes[0]).toMatchObject({ certificateId: 'web', result: 'applied', revision });
    expect(summary.messages).toEqual({ acknowledged: 1, released: 0 });
    expect(await queued()).toEqual({ visible: 0, inFlight: 0 });

    // What the agent wrote (fullchain.pem and privkey.pem) reads back as a PEM keystore.
    const inspected = await runCli(['keystore', 'inspect', dir, '--json']);
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.stdout)).toMatchObject({
      format: 'pem',
      serial: serialOf(pki),
      chainLength: pki.chain.length,
      keyMatchesCertificate: true,
    });
  });

  it('a duplicate and an older event of the same certificate add no line either (text)', async () => {
    const revision = await publishWithEvents(await aServerPki(), (r) => [r, r, r - 1]);
    expect(await queued()).toEqual({ visible: 3, inFlight: 0 });

    const result = await sync();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^web: applied revision ${revision} \\(installed ${revision}\\) in \\d+ ms$`),
    );
    expect(await queued()).toEqual({ visible: 0, inFlight: 0 });

    // Converged: the next sync finds the revision up to date, once.
    const again = await sync();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(`^web: up-to-date revision ${revision} \\(installed ${revision}\\)[^\\n]*\\n$`),
    );
  });
});

describe('the error line of agent sync points where the details are', () => {
  it('--json: a rejected revision (exit 4) points at the JSON on stdout, which has it once', async () => {
    const revision = await publishWithEvents(await aServerPki({ sans: ['somewhere-else.acme-ha.test'] }));
    const result = await sync('--json');
    expect(result.code).toBe(4);
    // stderr: the structured log at warn level (the rejection), then the error line.
    expect(lastLine(result.stderr)).toBe('acme-ha: a revision was not installed (see the JSON on stdout)');
    const summary = JSON.parse(result.stdout) as SyncJson;
    expect(summary.outcomes).toEqual([
      expect.objectContaining({ certificateId: 'web', result: 'rejected', revision }),
    ]);
    // The event was not settled by a rejection: released for a later attempt, not deleted.
    expect(summary.messages).toEqual({ acknowledged: 0, released: 1 });
  });

  it('text: the same failure points at the outcome lines above it', async () => {
    const result = await sync();
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/^web: rejected revision \d+ \(installed \d+\).*NAMES_NOT_COVERED/);
    expect(lastLine(result.stderr)).toBe('acme-ha: a revision was not installed (see the lines above)');
  });
});

describe('agent sync with an unset password variable', () => {
  it('is a command-line problem: exit 2, one line naming the variable', async () => {
    const jks = join(dir, 'agent-jks.yaml');
    await writeFile(
      jks,
      (await readFile(configFile, 'utf8')).replace(
        /targets:[\s\S]*$/,
        [
          'targets:',
          '  - certificateId: web',
          '    format: jks',
          `    path: ${join(dir, 'web.jks')}`,
          '    alias: server',
          `    password: { env: ${KEYSTORE_PASSWORD_ENV} }`,
          '',
        ].join('\n'),
      ),
    );
    for (const value of [undefined, '']) {
      const result = await runCli(['agent', 'sync', '--config', jks], {
        ...stack().env,
        [KEYSTORE_PASSWORD_ENV]: value,
      });
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: `acme-ha: environment variable ${KEYSTORE_PASSWORD_ENV} is not set or empty\n`,
      });
    }
  });
});
