import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { useLocalStack } from '../support/local-stack.ts';
import { tempDir } from '../support/temp-dir.ts';

const stack = useLocalStack({ prefix: 'renew-cli' });
let config: string;

beforeAll(async () => {
  const dir = await tempDir();
  config = join(dir, 'acme-ha.yaml');
  await writeFile(
    config,
    `version: 1
certificates:
  - id: web
    domains: [web.acme-ha.test]
    keystores:
      - { format: jks, password: { env: WEB_JKS_PASSWORD } }
  - id: down
    domains: [down.acme-ha.test]
    directory: https://127.0.0.1:9/dir
    keystores: [{ format: pem }]
`,
  );
});

const renew = (...args: string[]) =>
  runCli(['renew', '--config', config, ...args], { ...stack().env, WEB_JKS_PASSWORD: 'changeit' });

describe('acme-ha renew against the embedded stack', () => {
  it('renews what is due, reports each certificate, and says which failed', async () => {
    const first = await renew();
    expect(first.stdout).toMatch(
      /^web: renewed \(first-issuance\) → revision 1, serial [0-9a-f]+ \(\d+\.\d s\)$/m,
    );
    expect(first.stdout).toMatch(
      /^down: FAILED CA_UNREACHABLE: ECONNREFUSED reaching https:\/\/127\.0\.0\.1:9\/dir/m,
    );
    expect(first.stderr).toBe('acme-ha: 1 of 2 certificate(s) failed (see the lines above)\n');
    expect(first.code).toBe(4);

    // With --json the details are the JSON object on stdout, and the error line says so.
    const json = await renew('--certificate', 'down', '--force', '--json');
    expect(json.stderr).toBe('acme-ha: 1 of 1 certificate(s) failed (see the JSON on stdout)\n');
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toMatchObject({
      outcomes: [{ certificateId: 'down', result: 'failed', errorCode: 'CA_UNREACHABLE' }],
    });
  });

  it('orders nothing the second time; --json gives every outcome', async () => {
    const second = await renew('--certificate', 'web', '--json');
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({
      outcomes: [
        { certificateId: 'web', result: 'skipped', reason: 'not-due', nextCheckAt: expect.any(String) },
      ],
      remaining: [],
      // A run of one certificate does not look at the catalog.
      catalog: null,
    });
  });

  it('refuses an unknown certificate (exit 3)', async () => {
    expect(await renew('--certificate', 'nope')).toMatchObject({
      code: 3,
      stderr: expect.stringMatching(/no certificate nope in/),
    });
  });

  it('an unset or malformed stack environment is a command-line problem (exit 2), each variable named', async () => {
    const bare = await runCli(['renew', '--config', config], {
      ACME_HA_TABLE: '',
      ACME_HA_BUCKET: undefined,
      ACME_HA_TOPIC_ARN: undefined,
    });
    expect(bare).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'acme-ha: the control plane environment is incomplete: ACME_HA_TABLE is empty, ACME_HA_BUCKET is not set, ACME_HA_TOPIC_ARN is not set; `acme-ha local up` prints it for the embedded stack\n',
    });

    const malformed = await runCli(['renew', '--config', config], {
      ...stack().env,
      ACME_HA_TOPIC_ARN: 'fleet-topic',
      ACME_HA_POLL_MS: 'fast',
    });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toBe(
      'acme-ha: the control plane environment is incomplete: ACME_HA_TOPIC_ARN is not an SNS topic ARN (arn:…), ACME_HA_POLL_MS is not a whole number of milliseconds from 10 to 60000; `acme-ha local up` prints it for the embedded stack\n',
    );
    expect(malformed.stderr).not.toMatch(/Invalid input|expected/);
  });

  it('an unset keystore password variable is refused before anything is ordered (exit 2)', async () => {
    const unset = await runCli(['renew', '--config', config, '--force', '--json'], {
      ...stack().env,
      WEB_JKS_PASSWORD: undefined,
    });
    expect(unset).toEqual({
      code: 2,
      stdout: '',
      stderr: `acme-ha: environment variable WEB_JKS_PASSWORD is not set or empty (named as secrets in ${config})\n`,
    });
    // A certificate without secrets does not need it.
    const down = await runCli(['renew', '--config', config, '--certificate', 'down', '--json'], {
      ...stack().env,
      WEB_JKS_PASSWORD: undefined,
    });
    expect(down.stderr).not.toMatch(/WEB_JKS_PASSWORD/);
  });
});
