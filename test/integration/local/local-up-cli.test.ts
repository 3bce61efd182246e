/**
 * `acme-ha local up` as a user runs it: the real bin in a child process, stopped with SIGINT.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.ts';
import { listeningSockets, processExists } from '../../support/process-table.ts';

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'acme-ha.js');

interface UpSummary {
  startedInMs: number;
  region: string;
  endpoints: Record<string, string>;
  resources: { tableName: string; queues: Record<string, { url: string }> };
  pebble: { directoryUrl: string; caFile: string; pid: number; settings: Record<string, string> } | null;
  env: Record<string, string>;
}

describe('acme-ha local up', () => {
  it('prints endpoints and env as JSON, serves them, and stops everything on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'local', 'up', '--json', '--node', 'n1', '--node', 'n2'], {
      env: { ...process.env, PEBBLE_WFE_NONCEREJECT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const [line] = await Promise.race([
        (async () => {
          for await (const l of createInterface({ input: child.stdout })) return [l];
          return [undefined];
        })(),
        exited.then(() => {
          throw new Error(`local up exited early:\n${stderr}`);
        }),
      ]);
      const summary = JSON.parse(line ?? '') as UpSummary;
      expect(Object.keys(summary.resources.queues).sort()).toEqual(['n1', 'n2']);
      expect(summary.pebble?.settings).toMatchObject({ PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_VA_NOSLEEP: '1' });
      expect(summary.env).toMatchObject({
        AWS_ENDPOINT_URL_DYNAMODB: summary.endpoints.dynamodb,
        AWS_ENDPOINT_URL_S3: summary.endpoints.s3,
        AWS_ENDPOINT_URL_SQS: summary.endpoints.sqs,
        AWS_ENDPOINT_URL_SNS: summary.endpoints.sns,
        ACME_HA_ACME_DIRECTORY_URL: summary.pebble?.directoryUrl,
        ACME_HA_CA_BUNDLE: summary.pebble?.caFile,
      });
      expect(stderr).toMatch(/✓ pebble/);

      const dynamodb = new DynamoDBClient({
        endpoint: summary.endpoints.dynamodb,
        region: summary.region,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      const { TableNames } = await dynamodb.send(new ListTablesCommand({}));
      dynamodb.destroy();
      expect(TableNames).toEqual([summary.resources.tableName]);

      const ports = Object.entries(summary.endpoints)
        .filter(([name]) => name !== 'dns')
        .map(([, url]) => Number(new URL(url).port));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/SIGINT: stopping…\nstopped in \d+ ms/);
      const still = (await listeningSockets()).filter(
        (s) => s.protocol.startsWith('tcp') && ports.includes(s.port),
      );
      expect(still).toEqual([]);
      const pebblePid = summary.pebble?.pid ?? Number.NaN;
      expect(pebblePid).toBeGreaterThan(0);
      expect(processExists(pebblePid)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses a bad node id with one line and the usage exit code', async () => {
    const result = await runCli(['local', 'up', '--node', 'Not_Valid']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^acme-ha: option '--node <id>' argument 'Not_Valid' is invalid/);
  });
});
