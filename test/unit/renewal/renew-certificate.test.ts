import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryKeystoreStore } from '../../../adapters/memory/in-memory-keystore-store.ts';
import { InMemoryLock } from '../../../adapters/memory/in-memory-lock.ts';
import { InMemoryStateStore } from '../../../adapters/memory/in-memory-state-store.ts';
import { RecordingEventPublisher } from '../../../adapters/memory/recording-event-publisher.ts';
import { SourceSecretResolver } from '../../../adapters/secrets/source-secret-resolver.ts';
import { ManualClock } from '../../../adapters/time/manual-clock.ts';
import type { AcmeHaConfig } from '../../../core/config/certificate-config.ts';
import { parseConfig } from '../../../core/config/parse-config.ts';
import { CaUnreachableError, RateLimitedError, ValidationFailedError } from '../../../core/errors.ts';
import { openKeystore } from '../../../core/keystore/keystore.ts';
import { silentLogger } from '../../../core/ports/logger.ts';
import { FIRST_BACKOFF_MS } from '../../../core/renewal/backoff.ts';
import {
  type RenewalOutcome,
  type RenewerDeps,
  renewCertificate,
} from '../../../core/renewal/renew-certificate.ts';
import { runRenewals } from '../../../core/renewal/run-renewals.ts';
import { FakeIssuer } from '../../fakes/fake-issuer.ts';

const DAY = 86_400_000;

function aConfig(
  domains = ['app.example.test', 'www.example.test'],
  settings: Record<string, unknown> = {},
): AcmeHaConfig {
  return parseConfig(
    JSON.stringify({
      version: 1,
      defaults: { directory: 'https://ca.example.test/dir' },
      certificates: [
        {
          id: 'app',
          domains,
          groups: ['web'],
          keystores: [{ format: 'jks', alias: 'Tomcat', password: { env: 'JKS_PASS' } }, { format: 'pem' }],
          ...settings,
        },
      ],
      nodes: [{ id: 'n1', groups: ['web'] }],
    }),
    'test',
  );
}

let clock: ManualClock;
let issuer: FakeIssuer;
let state: InMemoryStateStore;
let store: InMemoryKeystoreStore;
let events: RecordingEventPublisher;
let lock: InMemoryLock;
let deps: RenewerDeps;

beforeEach(() => {
  clock = new ManualClock();
  issuer = new FakeIssuer(clock);
  state = new InMemoryStateStore();
  store = new InMemoryKeystoreStore();
  events = new RecordingEventPublisher();
  lock = new InMemoryLock(clock);
  deps = {
    state,
    issuer,
    keystores: store,
    events,
    lock,
    secrets: new SourceSecretResolver({ JKS_PASS: 'changeit' }),
    clock,
    log: silentLogger,
    random: () => 0.5,
    owner: 'test',
  };
});

/** The outcome's next check is within two minutes of `at` (certificate dates have whole seconds, notBefore is a minute back). */
const nearDay = (outcome: RenewalOutcome, at: number): boolean =>
  'nextCheckAt' in outcome && Math.abs(Date.parse(outcome.nextCheckAt ?? '') - at) < 120_000;

const cert = (config: AcmeHaConfig) => {
  const [first] = config.certificates;
  if (!first) throw new Error('no certificate');
  return first;
};

describe('renewCertificate', () => {
  it('issues the first revision: objects stored, revision published, event sent, lease released', async () => {
    const config = aConfig();
    const outcome = await renewCertificate(config, cert(config), deps);
    expect(outcome).toMatchObject({ result: 'renewed', reason: 'first-issuance', revision: 1 });
    const { current } = await state.get('app');
    expect(current?.objects.map((o) => o.name).sort()).toEqual(
      ['app.jks', 'cert.pem', 'chain.pem', 'combined.pem', 'fullchain.pem', 'privkey.pem'].sort(),
    );
    expect(current?.objects.every((o) => o.key.startsWith('certificates/app/000001/'))).toBe(true);
    const jks = current?.objects.find((o) => o.name === 'app.jks');
    const opened = openKeystore(await store.get(jks?.key ?? ''), 'changeit', 'app.jks');
    expect(opened.alias).toBe('tomcat');
    expect(current?.sans).toEqual(['app.example.test', 'www.example.test']);
    expect(current?.ariCertId).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(events.events).toEqual([
      {
        type: 'certificate.revision_published',
        certificateId: 'app',
        revision: 1,
        groups: ['web'],
        nodes: [],
        dmz: [],
      },
    ]);
    expect(await lock.acquire('certificate/app', 'other', 1000)).not.toBeNull();
  });

  it('orders nothing when nothing is due, anew when forced (with replaces) or when the names change', async () => {
    const config = aConfig();
    await renewCertificate(config, cert(config), deps);
    const ariId = (await state.get('app')).current?.ariCertId;
    expect(await renewCertificate(config, cert(config), deps)).toMatchObject({
      result: 'skipped',
      reason: 'not-due',
    });
    expect(issuer.requests).toHaveLength(1);

    expect(await renewCertificate(config, cert(config), deps, { force: true })).toMatchObject({
      result: 'renewed',
      reason: 'forced',
      revision: 2,
    });
    expect(issuer.requests[1]?.replaces).toBe(ariId);

    const changed = aConfig(['app.example.test', 'api.example.test']);
    expect(await renewCertificate(changed, cert(changed), deps)).toMatchObject({
      result: 'renewed',
      reason: 'config-changed',
      revision: 3,
    });
    expect(issuer.requests[2]?.replaces).toBeUndefined();
  });

  it('renews after two thirds of the lifetime when the CA has no ARI', async () => {
    const config = aConfig();
    await renewCertificate(config, cert(config), deps);
    clock.advance(59 * DAY);
    expect(await renewCertificate(config, cert(config), deps)).toMatchObject({ result: 'skipped' });
    clock.advance(2 * DAY);
    expect(await renewCertificate(config, cert(config), deps)).toMatchObject({
      result: 'renewed',
      reason: 'lifetime',
    });
  });

  it('renewBefore: a duration or a share of the lifetime before expiry; longer than the lifetime, the default', async () => {
    // The fake CA's certificates live 90 days.
    for (const [renewBefore, dueDay] of [
      ['10d', 80],
      ['240h', 80],
      ['50%', 45],
      ['100d', 60],
    ] as const) {
      clock = new ManualClock();
      Object.assign(deps, { clock, state: new InMemoryStateStore(), lock: new InMemoryLock(clock) });
      issuer = new FakeIssuer(clock);
      Object.assign(deps, { issuer });
      const config = aConfig(undefined, { renewBefore });
      const issuedAt = clock.now().getTime();
      await renewCertificate(config, cert(config), deps);
      clock.advance((dueDay - 1) * DAY);
      const early = await renewCertificate(config, cert(config), deps);
      expect(early.result, renewBefore).toBe('skipped');
      expect(nearDay(early, issuedAt + dueDay * DAY), renewBefore).toBe(true);
      clock.advance(DAY);
      expect(await renewCertificate(config, cert(config), deps), renewBefore).toMatchObject({
        result: 'renewed',
        reason: renewBefore === '100d' ? 'lifetime' : 'renew-before',
      });
    }
  });

  it('renewBefore and the ARI window: whichever moment comes first', async () => {
    const config = aConfig(undefined, { renewBefore: '10d' });
    await renewCertificate(config, cert(config), deps);
    const now = clock.now().getTime();
    issuer.renewalInfoAnswer = {
      start: new Date(now + 84 * DAY),
      end: new Date(now + 86 * DAY),
      retryAfter: new Date(now + 100 * DAY),
    };
    // The window's moment (day 85) is later than renewBefore's (day 80).
    const early = await renewCertificate(config, cert(config), deps);
    expect(early.result).toBe('skipped');
    expect(nearDay(early, now + 80 * DAY)).toBe(true);
    clock.advance(80 * DAY);
    expect(await renewCertificate(config, cert(config), deps)).toMatchObject({
      result: 'renewed',
      reason: 'renew-before',
    });
  });

  it('follows the ARI window: not before the chosen moment, then with replaces', async () => {
    const config = aConfig();
    await renewCertificate(config, cert(config), deps);
    const ariId = (await state.get('app')).current?.ariCertId;
    const now = clock.now().getTime();
    issuer.renewalInfoAnswer = {
      start: new Date(now + 10 * DAY),
      end: new Date(now + 12 * DAY),
      retryAfter: new Date(now + DAY / 4),
    };
    expect(await renewCertificate(config, cert(config), deps)).toMatchObject({
      result: 'skipped',
      nextCheckAt: new Date(now + 11 * DAY).toISOString(),
    });
    // The CA moves the window into the past (e.g. a revocation): renew at once, replacing the old one.
    clock.advance(DAY / 2);
    issuer.renewalInfoAnswer = {
      start: new Date(now - 2 * DAY),
      end: new Date(now - DAY),
      retryAfter: new Date(now + DAY),
    };
    expect(await renewCertificate(config, cert(config), deps)).toMatchObject({
      result: 'renewed',
      reason: 'ari-window',
    });
    expect(issuer.requests[1]?.replaces).toBe(ariId);
  });

  it('persists failures, backs off exponentially, and announces them', async () => {
    const config = aConfig();
    issuer.failWith = new ValidationFailedError(
      'urn:ietf:params:acme:error:unauthorized: 404 for token',
      'urn:ietf:params:acme:error:unauthorized',
    );
    const failed = await renewCertificate(config, cert(config), deps);
    expect(failed).toMatchObject({ result: 'failed', errorCode: 'VALIDATION_FAILED' });
    expect((await state.get('app')).failure).toMatchObject({
      attempts: 1,
      lastErrorCode: 'VALIDATION_FAILED',
    });
    expect(events.events).toEqual([
      expect.objectContaining({ type: 'certificate.renewal_failed', attempts: 1 }),
    ]);

    clock.advance(FIRST_BACKOFF_MS - 1000);
    expect(await renewCertificate(config, cert(config), deps)).toMatchObject({
      result: 'skipped',
      reason: 'backing-off',
    });
    expect(issuer.requests).toHaveLength(1);
    clock.advance(1000);
    issuer.failWith = new CaUnreachableError('connect ECONNREFUSED');
    await renewCertificate(config, cert(config), deps);
    const second = (await state.get('app')).failure;
    expect(second?.attempts).toBe(2);
    expect(new Date(second?.nextAttemptAt ?? 0).getTime() - clock.now().getTime()).toBe(2 * FIRST_BACKOFF_MS);
    expect((await state.get('app')).current).toBeNull();
    expect(store.objects.size).toBe(0);

    issuer.failWith = null;
    clock.advance(2 * FIRST_BACKOFF_MS);
    expect(await renewCertificate(config, cert(config), deps)).toMatchObject({ result: 'renewed' });
    expect((await state.get('app')).failure).toBeNull();
  });

  it("waits for the CA's Retry-After when it is later than the backoff", async () => {
    const config = aConfig();
    const retryAfter = new Date(clock.now().getTime() + 3 * DAY);
    issuer.failWith = new RateLimitedError('too many certificates', retryAfter);
    await renewCertificate(config, cert(config), deps);
    expect((await state.get('app')).failure?.nextAttemptAt).toBe(retryAfter.toISOString());
  });

  it('two runs at the same moment place exactly one order', async () => {
    const config = aConfig();
    const outcomes = await Promise.all([
      renewCertificate(config, cert(config), deps),
      renewCertificate(config, cert(config), deps),
    ]);
    expect(outcomes.map((o) => o.result).sort()).toEqual(['locked', 'renewed']);
    expect(issuer.requests).toHaveLength(1);
  });

  it('a forced run that waited for the lease does not order again', async () => {
    const config = aConfig();
    await renewCertificate(config, cert(config), deps);
    const outcomes = await Promise.all([
      renewCertificate(config, cert(config), deps, { force: true }),
      renewCertificate(config, cert(config), { ...deps, owner: 'second' }, { force: true }),
    ]);
    expect(outcomes.filter((o) => o.result === 'renewed')).toHaveLength(1);
    expect(issuer.requests).toHaveLength(2);
  });
});

describe('CA failover', () => {
  const BACKUP = 'https://backup-ca.example.test/dir';
  const withFallback = (): AcmeHaConfig => {
    const config = aConfig();
    return {
      ...config,
      certificates: config.certificates.map((c) => ({ ...c, fallbacks: [{ directory: BACKUP }] })),
    };
  };

  it('falls back to the next CA when the preferred one is down, and returns to it next time', async () => {
    const config = withFallback();
    issuer.failAt.set('https://ca.example.test/dir', new CaUnreachableError('ECONNREFUSED'));
    const fallback = await renewCertificate(config, cert(config), deps);
    expect(fallback).toMatchObject({ result: 'renewed', directory: BACKUP });
    expect((await state.get('app')).current?.directory).toBe(BACKUP);
    expect(issuer.requests.map((r) => r.directory)).toEqual(['https://ca.example.test/dir', BACKUP]);

    issuer.failAt.clear();
    const back = await renewCertificate(config, cert(config), deps, { force: true });
    expect(back).toMatchObject({ result: 'renewed', directory: 'https://ca.example.test/dir' });
    // The old certificate came from the other CA: no `replaces` across CAs.
    expect(issuer.requests.at(-1)?.replaces).toBeUndefined();
  });

  it('does not fall back when validation failed: the next CA would fail the same way', async () => {
    const config = withFallback();
    issuer.failAt.set('https://ca.example.test/dir', new ValidationFailedError('404 for the token'));
    expect(await renewCertificate(config, cert(config), deps)).toMatchObject({
      result: 'failed',
      errorCode: 'VALIDATION_FAILED',
    });
    expect(issuer.requests).toHaveLength(1);
  });
});

describe('runRenewals', () => {
  it('respects the order budget and the deadline, and reports what remains', async () => {
    const config = parseConfig(
      JSON.stringify({
        version: 1,
        renewal: { concurrency: 2, maxOrdersPerRun: 3 },
        certificates: Array.from({ length: 6 }, (_, i) => ({
          id: `c${i}`,
          domains: [`c${i}.example.test`],
          keystores: [{ format: 'pem' }],
        })),
      }),
      'test',
    );
    const first = await runRenewals(config, deps);
    expect(first.outcomes.filter((o) => o.result === 'renewed').length).toBeGreaterThanOrEqual(3);
    expect(first.outcomes.length + first.remaining.length).toBe(6);
    const second = await runRenewals(config, deps, { startBefore: clock.now() });
    expect(second).toEqual({
      outcomes: [],
      remaining: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'],
      catalog: expect.objectContaining({ retired: [], restored: [], added: [] }),
    });
  });
});
