/**
 * The renew Lambda's entry point, run in-process against the embedded stack with the environment
 * the CDK stack gives it (endpoints overridden by the standard AWS_ENDPOINT_URL_* variables).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/renew.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { tempDir } from '../../support/temp-dir.ts';

const stack = useLocalStack({ prefix: 'lambda' });
const saved = { ...process.env };

beforeAll(async () => {
  const s = stack();
  // As in the bundle: the configuration file in the code directory (LAMBDA_TASK_ROOT).
  const taskRoot = await tempDir('acme-ha-lambda-');
  await writeFile(
    join(taskRoot, 'acme-ha-config.json'),
    JSON.stringify({
      version: 1,
      defaults: { directory: s.pebble?.directoryUrl },
      certificates: [{ id: 'site', domains: ['site.acme-ha.test'], keystores: [{ format: 'pem' }] }],
    }),
  );
  Object.assign(process.env, s.env, {
    ACME_HA_CA_BUNDLE: s.pebble?.caPem,
    ACME_HA_POLL_MS: '50',
    LAMBDA_TASK_ROOT: taskRoot,
    ACME_HA_CONFIG_FILE: 'acme-ha-config.json',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
});

afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

const context = (remainingMs: number) => ({
  awsRequestId: 'request-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:acme-ha-renew',
  getRemainingTimeInMillis: () => remainingMs,
});

describe('renew Lambda handler', () => {
  it('renews on the schedule, then finds nothing due', async () => {
    const first = await handler({}, context(15 * 60_000));
    expect(first.outcomes).toEqual([
      expect.objectContaining({ certificateId: 'site', result: 'renewed', revision: 1 }),
    ]);
    const second = await handler({}, context(15 * 60_000));
    expect(second.outcomes).toEqual([expect.objectContaining({ result: 'skipped', reason: 'not-due' })]);
  });

  it('starts nothing when too little time is left, leaving the work for the next invocation', async () => {
    // With 0 s left it would self-invoke to continue; the continuation limit keeps this test offline.
    const result = await handler({ force: true, continuation: 20 }, context(0));
    expect(result).toEqual({
      outcomes: [],
      remaining: ['site'],
      catalog: { retired: [], restored: [], added: [], certificates: { site: null } },
    });
  });
});
