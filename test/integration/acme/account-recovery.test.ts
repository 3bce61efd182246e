/**
 * A CA that forgot the saved ACME account (Pebble restarted: it keeps accounts in memory; a real CA
 * that lost or deleted it) answers `accountDoesNotExist` for the saved account URL. The issuer
 * registers the same key again through newAccount, saves the new URL and places the order once more,
 * instead of failing on every run for ever. Pebble runs with PEBBLE_VA_ALWAYS_VALID=1: the account
 * is what is tested here, not HTTP-01 (the fault suite test/fault/ca-restart.test.ts does both).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClientIssuer } from '../../../adapters/acme/acme-client-issuer.ts';
import { InMemoryAccountStore } from '../../../adapters/memory/in-memory-account-store.ts';
import { OrderRejectedError } from '../../../core/errors.ts';
import type { ChallengeStore } from '../../../core/ports/challenge-store.ts';
import type { Logger } from '../../../core/ports/logger.ts';
import type { IssueRequest } from '../../../core/renewal/types.ts';
import { type PebbleServer, startPebble } from '../../../local/pebble.ts';

/** Tokens are never fetched: Pebble declares every challenge valid. */
const noChallenges: ChallengeStore = {
  put: async () => {},
  pending: async () => [],
  remove: async () => {},
};

let pebble: PebbleServer;
beforeAll(async () => {
  pebble = await startPebble({
    httpPort: 9,
    dnsServer: '127.0.0.1:9',
    env: { PEBBLE_VA_ALWAYS_VALID: '1', PEBBLE_WFE_NONCEREJECT: '0' },
    domainBlocklist: ['blocked.acme-ha.test'],
  });
});
afterAll(async () => {
  await pebble?.stop();
});

function recordingLog(): { log: Logger; messages: string[] } {
  const messages: string[] = [];
  const record = (message: string) => messages.push(message);
  return { log: { debug: () => {}, info: record, warn: record, error: record }, messages };
}

describe('an ACME account the CA no longer knows', () => {
  it('is registered again with the same key, saved, and the order goes through', async () => {
    const accounts = new InMemoryAccountStore();
    const { log, messages } = recordingLog();
    const issuer = new AcmeClientIssuer({
      challenges: noChallenges,
      accounts,
      log,
      extraCaPem: pebble.caPem,
      pollIntervalMs: 50,
    });
    const request: IssueRequest = {
      certificateId: 'recovery',
      directory: pebble.directoryUrl,
      domains: ['recovery.acme-ha.test'],
      keyType: 'ec-p256',
    };
    await issuer.issue(request);
    const before = await accounts.load(pebble.directoryUrl);
    expect(messages.filter((m) => m === 'account registered')).toHaveLength(1);

    await pebble.restart();
    const issued = await issuer.issue(request);

    expect(issued.chainPem).toContain('BEGIN CERTIFICATE');
    const after = await accounts.load(pebble.directoryUrl);
    expect(after?.keyPem).toBe(before?.keyPem);
    expect(after?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    expect(after?.url).not.toBe(before?.url);
    expect(messages).toContain('account unknown to the CA; registering its key again');
    expect(messages.filter((m) => m === 'account registered')).toHaveLength(2);

    // The saved account is usable as it is now, and other refusals register nothing.
    await issuer.issue(request);
    const blocked = issuer.issue({ ...request, domains: ['blocked.acme-ha.test'] });
    await expect(blocked).rejects.toBeInstanceOf(OrderRejectedError);
    await expect(blocked).rejects.toMatchObject({
      problemType: 'urn:ietf:params:acme:error:rejectedIdentifier',
    });
    expect(messages.filter((m) => m === 'account registered')).toHaveLength(2);
  });
});
