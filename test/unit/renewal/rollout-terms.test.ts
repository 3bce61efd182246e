/**
 * The rollout terms the renewer publishes with each revision: the certificate configuration's
 * maxParallel and the nodes in the certificate's groups, beside the revision record (never in it).
 */
import { describe, expect, it } from 'vitest';
import { InMemoryKeystoreStore } from '../../../adapters/memory/in-memory-keystore-store.ts';
import { InMemoryLock } from '../../../adapters/memory/in-memory-lock.ts';
import { InMemoryStateStore } from '../../../adapters/memory/in-memory-state-store.ts';
import { RecordingEventPublisher } from '../../../adapters/memory/recording-event-publisher.ts';
import { SourceSecretResolver } from '../../../adapters/secrets/source-secret-resolver.ts';
import { ManualClock } from '../../../adapters/time/manual-clock.ts';
import type { AcmeHaConfig } from '../../../core/config/certificate-config.ts';
import { parseConfig } from '../../../core/config/parse-config.ts';
import { silentLogger } from '../../../core/ports/logger.ts';
import { renewCertificate } from '../../../core/renewal/renew-certificate.ts';
import { awaitedNodesOf, rolloutTermsOf } from '../../../core/renewal/rollout-terms.ts';
import { FakeIssuer } from '../../fakes/fake-issuer.ts';

function aConfig(extra: Record<string, unknown> = {}, groups = ['web']): AcmeHaConfig {
  return parseConfig(
    JSON.stringify({
      version: 1,
      defaults: { directory: 'https://ca.example.test/dir' },
      certificates: [{ id: 'app', domains: ['app.example.test'], groups, keystores: [{ format: 'pem' }] }],
      ...extra,
    }),
    'test',
  );
}

const NODES = {
  nodes: [
    { id: 'web-2', groups: ['web'] },
    { id: 'web-1', groups: ['web', 'api'] },
    { id: 'api-1', groups: ['api'] },
  ],
};

function first(config: AcmeHaConfig) {
  const [cert] = config.certificates;
  if (!cert) throw new Error('no certificate');
  return cert;
}

describe('rollout terms', () => {
  it("await the configuration's nodes in the certificate's groups, sorted", () => {
    const config = aConfig({ ...NODES, rollout: { maxParallel: 3 } });
    expect(rolloutTermsOf(config, first(config))).toEqual({ maxParallel: 3, nodes: ['web-1', 'web-2'] });
  });

  it("take a certificate's own maxParallel over the configuration's", () => {
    const config = parseConfig(
      JSON.stringify({
        version: 1,
        rollout: { maxParallel: 2 },
        certificates: [
          {
            id: 'big',
            domains: ['big.example.test'],
            rollout: { maxParallel: 10 },
            keystores: [{ format: 'pem' }],
          },
          { id: 'small', domains: ['small.example.test'], keystores: [{ format: 'pem' }] },
        ],
      }),
      'test',
    );
    expect(config.certificates.map((c) => rolloutTermsOf(config, c).maxParallel)).toEqual([10, 2]);
    expect(() =>
      parseConfig(
        JSON.stringify({
          version: 1,
          certificates: [
            {
              id: 'x',
              domains: ['x.example.test'],
              rollout: { maxParallel: 0 },
              keystores: [{ format: 'pem' }],
            },
          ],
        }),
        'test',
      ),
    ).toThrow(/certificates\[0\]\.rollout\.maxParallel: Too small/);
  });

  it('await every node that joins when the configuration declares no nodes', () => {
    const bare = aConfig();
    expect(rolloutTermsOf(bare, first(bare))).toEqual({ maxParallel: 1, nodes: null });
    // With the nodes declared, a certificate none of them installs is refused before it gets here.
    expect(() => aConfig(NODES, [])).toThrow(/certificates\[0\]: installed nowhere/);
  });

  it('await the nodes a certificate names beside those of its groups', () => {
    const named = aConfig({
      ...NODES,
      certificates: [
        {
          id: 'app',
          domains: ['app.example.test'],
          groups: ['api'],
          nodes: ['web-2'],
          keystores: [{ format: 'pem' }],
        },
      ],
    });
    expect(awaitedNodesOf(named, first(named))).toEqual(['api-1', 'web-1', 'web-2']);
  });
});

describe('the renewer publishes them with each revision', () => {
  it('beside the revision record, which stays as a DMZ receiver expects it', async () => {
    const clock = new ManualClock();
    const state = new InMemoryStateStore();
    const deps = {
      state,
      issuer: new FakeIssuer(clock),
      keystores: new InMemoryKeystoreStore(),
      events: new RecordingEventPublisher(),
      lock: new InMemoryLock(clock),
      secrets: new SourceSecretResolver({}),
      clock,
      log: silentLogger,
      random: () => 0.5,
      owner: 'test',
    };
    const config = aConfig({ ...NODES, rollout: { maxParallel: 2 } });

    expect(await renewCertificate(config, first(config), deps)).toMatchObject({
      result: 'renewed',
      revision: 1,
    });
    const changed = aConfig({ rollout: { maxParallel: 4 } });
    await renewCertificate(changed, first(changed), deps, { force: true });

    expect(await state.rolloutTerms('app', 1)).toEqual({ maxParallel: 2, nodes: ['web-1', 'web-2'] });
    expect(await state.rolloutTerms('app', 2)).toEqual({ maxParallel: 4, nodes: null });
    expect(Object.keys((await state.getRevision('app', 1)) ?? {}).sort()).toEqual(
      [
        'ariCertId',
        'certificateId',
        'configHash',
        'createdAt',
        'directory',
        'issuer',
        'notAfter',
        'notBefore',
        'objects',
        'revision',
        'sans',
        'serial',
      ].sort(),
    );
  });
});
