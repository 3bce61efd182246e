/**
 * DNS-01 end to end: the renewer writes `_acme-challenge` TXT records through the real Route 53
 * client into the local Route 53 stand-in, the DNS stub Pebble asks serves them once in sync, and a
 * wildcard certificate comes out — which Java loads from the JKS we publish.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { parseConfig } from '../../../core/config/parse-config.ts';
import { systemClock } from '../../../core/ports/clock.ts';
import { silentLogger } from '../../../core/ports/logger.ts';
import { runRenewals } from '../../../core/renewal/run-renewals.ts';
import { createControlPlane } from '../../../functions/commons/compose-control-plane.ts';
import { stackControlPlaneSettings } from '../../../local/control-plane-settings.ts';
import { type LocalStack, startLocalStack } from '../../../local/stack.ts';
import { loadInJava } from '../../support/java.ts';
import { tempDir } from '../../support/temp-dir.ts';

let stack: LocalStack;
let clients: AwsClients;
const zones = new Map<string, string>();

beforeAll(async () => {
  // Changes take 300 ms to be INSYNC: telling the CA earlier would fail validation.
  stack = await startLocalStack({ prefix: 'dns01', route53: { changeDelayMs: 300 } });
  clients = createAwsClients({
    ...stack.clientConfigs,
    route53: {
      endpoint: stack.endpoints.route53,
      region: stack.region,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    },
  });
  for (const zone of ['wild.acme-ha.test', 'validation.acme-ha.test']) {
    const { HostedZone } = await clients.route53.send(
      new CreateHostedZoneCommand({ Name: zone, CallerReference: zone }),
    );
    zones.set(zone, HostedZone?.Id ?? '');
  }
});

afterAll(async () => {
  clients?.destroy();
  await stack?.stop();
});

function plane() {
  return createControlPlane(stackControlPlaneSettings(stack), clients, {
    log: silentLogger,
    clock: systemClock,
    env: { JKS_PASSWORD: 'changeit' },
  });
}

const config = () =>
  parseConfig(
    JSON.stringify({
      version: 1,
      defaults: { directory: stack.pebble?.directoryUrl },
      certificates: [
        {
          id: 'wild',
          domains: ['*.wild.acme-ha.test', 'wild.acme-ha.test'],
          challenge: 'dns-01',
          keyType: 'rsa-2048',
          keystores: [{ format: 'jks', password: { env: 'JKS_PASSWORD' } }],
        },
        {
          id: 'delegated',
          domains: ['app.wild.acme-ha.test'],
          challenge: 'dns-01',
          dns: { delegation: 'validation.acme-ha.test' },
          keystores: [{ format: 'pem' }],
        },
      ],
    }),
    'dns-01 config',
  );

describe('DNS-01 through Route 53', () => {
  it('issues a wildcard certificate that Java loads, and removes the TXT records after', async () => {
    const result = await runRenewals(config(), plane(), { certificateId: 'wild' });
    expect(result.outcomes).toEqual([expect.objectContaining({ result: 'renewed' })]);
    const current = (await plane().state.get('wild')).current;
    expect(current?.sans).toEqual(['*.wild.acme-ha.test', 'wild.acme-ha.test']);
    const dir = await tempDir();
    const jks = join(dir, 'wild.jks');
    await writeFile(jks, await plane().keystores.get(current?.objects[0]?.key ?? ''));
    const view = await loadInJava(inject('javaClasses'), 'JKS', jks, 'wild', 'changeit');
    expect(view.keyAlgorithm).toBe('RSA');
    // The deletion is not waited for; it reaches the name servers once in sync.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(stack.route53?.records('_acme-challenge.wild.acme-ha.test', 'TXT')).toEqual([]);
  });

  it('writes to the validation zone when _acme-challenge is delegated by CNAME', async () => {
    // The operator's one-time CNAME, in the zone the renewer then never writes to.
    await clients.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zones.get('wild.acme-ha.test'),
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: '_acme-challenge.app.wild.acme-ha.test.',
                Type: 'CNAME',
                TTL: 300,
                ResourceRecords: [{ Value: 'app.wild.acme-ha.test.validation.acme-ha.test.' }],
              },
            },
          ],
        },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 400)); // until the stand-in has it in sync
    const result = await runRenewals(config(), plane(), { certificateId: 'delegated' });
    expect(result.outcomes).toEqual([expect.objectContaining({ result: 'renewed' })]);
  });
});
