/**
 * Several CAs: two Pebble instances (each with its own roots), the preferred one behind a proxy the
 * test switches off to make it look down; external account binding required by the preferred CA.
 */

import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { parseConfig } from '../../../core/config/parse-config.ts';
import { systemClock } from '../../../core/ports/clock.ts';
import { silentLogger } from '../../../core/ports/logger.ts';
import { runRenewals } from '../../../core/renewal/run-renewals.ts';
import { createControlPlane } from '../../../functions/commons/compose-control-plane.ts';
import { stackControlPlaneSettings } from '../../../local/control-plane-settings.ts';
import { type PebbleServer, startPebble } from '../../../local/pebble.ts';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.ts';

const HMAC_KEY = Buffer.alloc(32, 9).toString('base64url');
let stack: LocalStack;
let preferred: PebbleServer;
let proxy: FaultProxy;
let clients: AwsClients;

beforeAll(async () => {
  stack = await startLocalStack({ prefix: 'failover' });
  const backup = stack.pebble;
  if (!backup || !stack.endpoints.dns) throw new Error('the stack has no Pebble');
  preferred = await startPebble({
    httpPort: backup.httpPort,
    dnsServer: stack.endpoints.dns,
    externalAccountBindingRequired: true,
    externalAccountMacKeys: { 'kid-1': HMAC_KEY },
  });
  proxy = await startFaultProxy(`https://127.0.0.1:${preferred.listenPort}`);
  clients = createAwsClients(stack.clientConfigs);
});

afterAll(async () => {
  clients?.destroy();
  await proxy?.stop();
  await preferred?.stop();
  await stack?.stop();
});

const preferredUrl = () => `https://127.0.0.1:${proxy.port}/dir`;

function config(hmacEnv = 'EAB_KEY') {
  return parseConfig(
    JSON.stringify({
      version: 1,
      certificates: [
        {
          id: 'multi',
          domains: ['multi.acme-ha.test'],
          directory: preferredUrl(),
          eab: { kid: 'kid-1', hmacKey: { env: hmacEnv } },
          fallbacks: [{ directory: stack.pebble?.directoryUrl }],
          keystores: [{ format: 'pem' }],
        },
        {
          id: 'eab-only',
          domains: ['eab.acme-ha.test'],
          // Another spelling of the same CA: accounts are kept per directory URL, and EAB binds
          // only when an account is registered, so this one starts without an account.
          directory: preferredUrl().replace('127.0.0.1', 'localhost'),
          eab: { kid: 'kid-1', hmacKey: { env: hmacEnv } },
          keystores: [{ format: 'pem' }],
        },
      ],
    }),
    'failover config',
  );
}

function plane(env: Record<string, string> = { EAB_KEY: HMAC_KEY }) {
  return createControlPlane(
    {
      ...stackControlPlaneSettings(stack),
      ACME_HA_CA_BUNDLE: `${stack.pebble?.caPem ?? ''}${preferred.caPem}`,
    },
    clients,
    { log: silentLogger, clock: systemClock, env },
  );
}

async function issuerRoot(certificateId: string): Promise<string> {
  const state = await plane().state.get(certificateId);
  const chain = await plane().keystores.get(
    state.current?.objects.find((o) => o.name === 'fullchain.pem')?.key ?? '',
  );
  const intermediate = new X509Certificate(
    chain.toString().split(/(?=-----BEGIN CERTIFICATE-----)/)[1] ?? '',
  );
  return intermediate.issuer;
}

describe('several CAs', () => {
  it('issues from the fallback while the preferred CA is down, and records which CA issued it', async () => {
    proxy.setMode('refuse');
    const result = await runRenewals(config(), plane(), { certificateId: 'multi' });
    expect(result.outcomes).toEqual([
      expect.objectContaining({ result: 'renewed', directory: stack.pebble?.directoryUrl }),
    ]);
    expect((await plane().state.get('multi')).current?.directory).toBe(stack.pebble?.directoryUrl);
    const backupRoot = new X509Certificate((await stack.pebble?.rootCertificate()) ?? '').subject;
    expect(await issuerRoot('multi')).toBe(backupRoot);
  });

  it('returns to the preferred CA on the next renewal once it is healthy, with external account binding', async () => {
    proxy.setMode('on');
    const result = await runRenewals(config(), plane(), { certificateId: 'multi', force: true });
    expect(result.outcomes).toEqual([
      expect.objectContaining({ result: 'renewed', revision: 2, directory: preferredUrl() }),
    ]);
    const preferredRoot = new X509Certificate(await preferred.rootCertificate()).subject;
    expect(await issuerRoot('multi')).toBe(preferredRoot);
  });

  it('issues only with the right EAB credentials', async () => {
    const wrong = await runRenewals(
      config('WRONG_KEY'),
      plane({ WRONG_KEY: Buffer.alloc(32, 1).toString('base64url') }),
      {
        certificateId: 'eab-only',
      },
    );
    expect(wrong.outcomes).toEqual([
      expect.objectContaining({ result: 'failed', errorCode: 'ORDER_REJECTED' }),
    ]);
    const right = await runRenewals(config(), plane(), { certificateId: 'eab-only', force: true });
    expect(right.outcomes).toEqual([
      expect.objectContaining({
        result: 'renewed',
        directory: preferredUrl().replace('127.0.0.1', 'localhost'),
      }),
    ]);
  });
});
