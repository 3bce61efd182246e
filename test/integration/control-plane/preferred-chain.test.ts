/**
 * `preferredChain` against Pebble offering an alternate chain (`PEBBLE_ALTERNATE_ROOTS=1`): the
 * renewer publishes the chain whose intermediate the preferred root issued; with no preference, or
 * one no chain matches, the CA's default chain.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { parseConfig } from '../../../core/config/parse-config.ts';
import { readCertificates } from '../../../core/keystore/pem.ts';
import { runRenewals } from '../../../core/renewal/run-renewals.ts';
import type { ControlPlane } from '../../../functions/commons/compose-control-plane.ts';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { aControlPlane } from '../../support/control-plane.ts';

let stack: LocalStack;
let clients: AwsClients;
let plane: ControlPlane;
/** The common names of Pebble's roots: the default chain's, then the alternate's. */
let roots: string[];

beforeAll(async () => {
  stack = await startLocalStack({
    prefix: 'chains',
    // Validation is not what this file tests: Pebble accepts every challenge.
    env: { ...process.env, PEBBLE_ALTERNATE_ROOTS: '1', PEBBLE_VA_ALWAYS_VALID: '1' },
  });
  clients = createAwsClients(stack.clientConfigs);
  plane = aControlPlane(stack, clients);
  const pebble = stack.pebble;
  if (!pebble) throw new Error('no Pebble');
  roots = await Promise.all(
    [0, 1].map(async (chain) => commonName(new X509Certificate(await pebble.rootCertificate(chain)).subject)),
  );
}, 60_000);

afterAll(async () => {
  clients?.destroy();
  await stack?.stop();
});

function commonName(distinguishedName: string): string {
  return /(?:^|\n)CN=(.*)/.exec(distinguishedName)?.[1] ?? '';
}

/** Orders `id` with `preferredChain` and returns the issuer of the top of the published chain. */
async function topIssuer(id: string, preferredChain?: string): Promise<string> {
  const config = parseConfig(
    JSON.stringify({
      version: 1,
      defaults: { directory: stack.pebble?.directoryUrl },
      certificates: [
        {
          id,
          domains: [`${id}.acme-ha.test`],
          keystores: [{ format: 'pem' }],
          ...(preferredChain ? { preferredChain: { issuerCommonName: preferredChain } } : {}),
        },
      ],
    }),
    'test',
  );
  const [outcome] = (await runRenewals(config, plane, { certificateId: id })).outcomes;
  expect(outcome?.result).toBe('renewed');
  const revision = (await plane.state.get(id)).current;
  const fullchain = revision?.objects.find((o) => o.name === 'fullchain.pem');
  if (!fullchain) throw new Error('no fullchain.pem');
  const chain = readCertificates((await plane.keystores.get(fullchain.key)).toString(), fullchain.key);
  return commonName(chain.at(-1)?.issuer ?? '');
}

describe('preferredChain', () => {
  it('picks the alternate chain by its root, and the default chain otherwise', async () => {
    expect(roots[0]).not.toBe(roots[1]);
    expect(await topIssuer('default')).toBe(roots[0]);
    expect(await topIssuer('alternate', roots[1])).toBe(roots[1]);
    expect(await topIssuer('preferred-default', roots[0])).toBe(roots[0]);
    expect(await topIssuer('unknown', 'No Such Root CA')).toBe(roots[0]);
  });
});
