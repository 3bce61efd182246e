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
    expect(first.stderr).toBe('acme-ha: 1 of 2 certificate(s) failed\n');
    expect(first.code).toBe(4);
  });

  it('orders nothing the second time; --json gives every outcome', async () => {
    const second = await renew('--certificate', 'web', '--json');
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({
      outcomes: [
        { certificateId: 'web', result: 'skipped', reason: 'not-due', nextCheckAt: expect.any(String) },
      ],
      remaining: [],
    });
  });

  it('refuses an unknown certificate and an incomplete environment', async () => {
    expect(await renew('--certificate', 'nope')).toMatchObject({
      code: 3,
      stderr: expect.stringMatching(/no certificate nope in/),
    });
    const bare = await runCli(['renew', '--config', config], {
      ACME_HA_TABLE: '',
      ACME_HA_BUCKET: '',
      ACME_HA_TOPIC_ARN: '',
    });
    expect(bare.code).toBe(3);
    expect(bare.stderr).toMatch(/^acme-ha: the control plane environment is incomplete: ACME_HA_TABLE/);
  });
});
