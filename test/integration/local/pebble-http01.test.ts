/**
 * End to end through the embedded stack: a real certificate from Pebble over HTTP-01, tokens in
 * DynamoDB (dynalite), served by the stack's DynamoDB-backed responder, the chain judged by openssl.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { ChallengeRequest } from '../../../adapters/http/challenge-responder.ts';
import type { LocalStack } from '../../../local/stack.ts';
import { orderCertificate } from '../../support/acme-order.ts';
import { challengeTokensLeft } from '../../support/challenge-items.ts';
import { useLocalStack } from '../../support/local-stack.ts';

const run = promisify(execFile);

function certificatesOf(pem: string): X509Certificate[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    (m) => new X509Certificate(m[0]),
  );
}

/** openssl's own verdict on leaf + intermediates against Pebble's current root. */
async function opensslVerify(stack: LocalStack, certificatePem: string): Promise<string> {
  const pebble = stack.pebble;
  if (!pebble) throw new Error('no Pebble');
  // Made and removed here: tempDir() registers afterAll, which does nothing once a test runs.
  const dir = await mkdtemp(join(tmpdir(), 'acme-ha-pebble-verify-'));
  try {
    const [leaf, ...intermediates] = certificatesOf(certificatePem);
    if (!leaf || intermediates.length === 0)
      throw new Error(`expected leaf and chain, got:\n${certificatePem}`);
    const files = { root: join(dir, 'root.pem'), chain: join(dir, 'chain.pem'), leaf: join(dir, 'leaf.pem') };
    await writeFile(files.root, await pebble.rootCertificate());
    await writeFile(files.chain, intermediates.map((c) => c.toString()).join(''));
    await writeFile(files.leaf, leaf.toString());
    const { stdout } = await run('openssl', [
      'verify',
      '-CAfile',
      files.root,
      '-untrusted',
      files.chain,
      '-purpose',
      'sslserver',
      files.leaf,
    ]);
    return stdout.trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function challengeItems(stack: LocalStack): Promise<number> {
  const dynamodb = new DynamoDBClient(stack.clientConfigs.dynamodb);
  try {
    return await challengeTokensLeft(DynamoDBDocumentClient.from(dynamodb), stack.resources.tableName);
  } finally {
    dynamodb.destroy();
  }
}

describe('Pebble over HTTP-01 with tokens in DynamoDB', () => {
  const requests: ChallengeRequest[] = [];
  const stack = useLocalStack({ onChallengeRequest: (r) => requests.push(r) });

  it('issues a certificate whose chain openssl verifies against Pebble’s root', async () => {
    const domains = ['www.acme-ha.test', 'api.acme-ha.test'] as const;
    const { certificatePem, privateKeyPem } = await orderCertificate(stack(), { domains: [...domains] });

    expect(await opensslVerify(stack(), certificatePem)).toMatch(/leaf\.pem: OK$/);
    const [leaf] = certificatesOf(certificatePem);
    expect(leaf?.subjectAltName).toBe('DNS:www.acme-ha.test, DNS:api.acme-ha.test');
    expect(leaf?.checkPrivateKey(createPrivateKey(privateKeyPem))).toBe(true);
    // Pebble's validation authority really fetched the tokens from our responder, on its httpPort.
    const answered = requests.filter((r) => r.status === 200);
    expect(new Set(answered.map((r) => r.host))).toEqual(
      new Set(domains.map((d) => `${d}:${stack().pebble?.httpPort}`)),
    );
    expect(await challengeItems(stack())).toBe(0); // challengeRemoveFn cleaned up
  });
});

describe('Pebble rejecting half of all nonces (PEBBLE_WFE_NONCEREJECT=50)', () => {
  const stack = useLocalStack({ env: { ...process.env, PEBBLE_WFE_NONCEREJECT: '50' } });

  it('still completes an order when the client retries badNonce answers', async () => {
    expect(stack().pebble?.settings.PEBBLE_WFE_NONCEREJECT).toBe('50');
    // 50 % rejection with acme-client's default 5 retries fails ~1.6 % of requests, ~15 % of
    // orders; the adapter allows 20 retries: one failure in two million requests.
    const { certificatePem, log } = await orderCertificate(stack(), { domains: ['chaos.acme-ha.test'] });
    expect(await opensslVerify(stack(), certificatePem)).toMatch(/leaf\.pem: OK$/);
    expect(log.filter((line) => /invalid nonce/i.test(line)).length).toBeGreaterThan(0);
  });
});

describe('Pebble configuration', () => {
  const hmacKey = Buffer.alloc(32, 7).toString('base64url');
  const stack = useLocalStack({
    pebble: {
      certificateValidityPeriod: 3600,
      domainBlocklist: ['blocked.acme-ha.test'],
      externalAccountBindingRequired: true,
      externalAccountMacKeys: { 'kid-1': hmacKey },
    },
  });
  const eab = { kid: 'kid-1', hmacKey };

  it('issues for the configured lifetime with external account binding', async () => {
    const { certificatePem } = await orderCertificate(stack(), {
      domains: ['short.acme-ha.test'],
      externalAccountBinding: eab,
    });
    const [leaf] = certificatesOf(certificatePem);
    const lifetime = (Date.parse(leaf?.validTo ?? '') - Date.parse(leaf?.validFrom ?? '')) / 1000;
    expect(lifetime).toBeGreaterThanOrEqual(3599);
    expect(lifetime).toBeLessThanOrEqual(3601);
  });

  it('refuses accounts without external account binding', async () => {
    await expect(orderCertificate(stack(), { domains: ['short.acme-ha.test'] })).rejects.toMatchObject({
      code: 'ORDER_REJECTED',
      problemType: 'urn:ietf:params:acme:error:externalAccountRequired',
    });
  });

  it('refuses names on the block list', async () => {
    await expect(
      orderCertificate(stack(), { domains: ['www.blocked.acme-ha.test'], externalAccountBinding: eab }),
    ).rejects.toMatchObject({
      code: 'ORDER_REJECTED',
      message: expect.stringMatching(/forbidden by policy/),
    });
  });
});
