/**
 * Promise: a slow CA is waited for, and a CA that lost its memory in the middle of an order fails
 * the run cleanly, then issues again. Real Pebble, production wiring (faultPlane), nothing stubbed.
 *
 * - Slow: PEBBLE_VA_NOSLEEP=0 and PEBBLE_VA_SLEEPTIME=3 (Pebble sleeps a random 0..3 s before each
 *   validation request; its own log lines show the sleeps). Three certificates are renewed in one run
 *   and each publishes revision 1: the renewer polls patiently.
 * - Restarted: when Pebble's validation request reaches the challenge responder, Pebble is restarted
 *   on the same ports (`PebbleServer.restart`): the order, its authorizations and the ACME account
 *   are gone. The run fails with a typed error (ORDER_REJECTED, the CA's accountDoesNotExist); the
 *   failure (attempts, next attempt ≥ 1 h later) is in DynamoDB, the lease is released, there is
 *   no revision, and a scheduled run right after sends no request at all to the CA (counted from
 *   Pebble's own log: one line per request it handled). With the clock moved past the backoff
 *   (ShiftedClock), the next run registers the saved account key (kept in S3) again and publishes
 *   revision 1 from the restarted Pebble.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { StoredAccountStore } from '../../adapters/acme/stored-account-store.ts';
import type { AcmeHaConfig } from '../../core/config/certificate-config.ts';
import { parseConfig } from '../../core/config/parse-config.ts';
import { runRenewals } from '../../core/renewal/run-renewals.ts';
import { lockKey } from '../../core/table-keys.ts';
import type { LocalStack } from '../../local/stack.ts';
import { faultPlane, ShiftedClock } from '../support/fault-control-plane.ts';
import { useLocalStack } from '../support/local-stack.ts';

const SLEEP_MAX_S = 3;
const SLOW_CERTS = 3;

/** What Pebble's own log says: every request it handled, and its sleeps before validations. */
interface PebbleOutput {
  readonly requests: string[];
  readonly sleeps: string[];
  readonly onOutput: (line: string) => void;
}

function pebbleOutput(): PebbleOutput {
  const log: PebbleOutput = {
    requests: [],
    sleeps: [],
    onOutput: (line) => {
      const request = /(\w+ \S+) -> calling handler\(\)/.exec(line)?.[1];
      if (request) log.requests.push(request);
      const slept = /Sleeping for (\S+) seconds before validating/.exec(line)?.[1];
      if (slept) log.sleeps.push(slept);
    },
  };
  return log;
}

function pemConfig(stack: LocalStack, ids: readonly string[]): AcmeHaConfig {
  return parseConfig(
    JSON.stringify({
      version: 1,
      defaults: { directory: stack.pebble?.directoryUrl },
      certificates: ids.map((id) => ({
        id,
        domains: [`${id}.acme-ha.test`],
        keystores: [{ format: 'pem' }],
      })),
    }),
    'ca restart config',
  );
}

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

describe(`a slow CA (validation sleeps up to ${SLEEP_MAX_S} s)`, () => {
  const output = pebbleOutput();
  const stack = useLocalStack({
    prefix: 'fault-slow-ca',
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '0', PEBBLE_VA_SLEEPTIME: String(SLEEP_MAX_S) },
    pebble: { onOutput: output.onOutput },
  });

  it(`renews ${SLOW_CERTS} certificates in one run: every order finishes and publishes revision 1`, async () => {
    const ids = Array.from({ length: SLOW_CERTS }, (_, i) => `slow-${i}`);
    const p = faultPlane(stack(), { owner: 'slow-ca' });
    const requestsBefore = output.requests.length;
    const started = performance.now();
    try {
      const run = await runRenewals(pemConfig(stack(), ids), p.plane);
      expect(run.outcomes.map((o) => [o.certificateId, o.result]).sort()).toEqual(
        ids.map((id) => [id, 'renewed']),
      );
      for (const id of ids) {
        const state = await p.plane.state.get(id);
        expect(state.current?.revision).toBe(1);
        expect(state.failure).toBeNull();
      }
    } finally {
      p.close();
    }
    // Pebble logs one random sleep per validation request (3 perspectives per challenge).
    expect(output.sleeps.length).toBeGreaterThanOrEqual(SLOW_CERTS);
    console.log(
      `[fault] slow CA: ${SLOW_CERTS} certificates renewed in ${seconds(started)} s, Pebble slept ${output.sleeps.join(' ')} before its validation requests, ${output.requests.length - requestsBefore} requests handled by Pebble`,
    );
  }, 120_000);
});

describe('a CA restarted in the middle of an order', () => {
  const CERT = 'restarted';
  let onValidation: (() => void) | undefined;
  const output = pebbleOutput();
  const stack = useLocalStack({
    prefix: 'fault-ca-restart',
    pebble: { onOutput: output.onOutput },
    onChallengeRequest: () => onValidation?.(),
  });

  it('fails cleanly with state and backoff, sends nothing until the backoff ends, then issues again', async () => {
    const config = pemConfig(stack(), [CERT]);
    const pebble = stack().pebble;
    if (!pebble) throw new Error('the stack runs without Pebble');
    const clock = new ShiftedClock();
    const orders: string[] = [];
    const p = faultPlane(stack(), {
      owner: 'ca-restart',
      clock,
      onOrder: (r) => orders.push(r.certificateId),
    });
    const accounts = new StoredAccountStore(p.plane.keystores);
    const started = performance.now();
    let restarted: Promise<void> | undefined;
    let requestsAtRestart = 0;
    onValidation = () => {
      if (restarted) return;
      requestsAtRestart = output.requests.length;
      restarted = pebble.restart();
    };
    try {
      const failed = await runRenewals(config, p.plane);
      onValidation = undefined;
      await restarted;
      expect(restarted).toBeDefined();
      const failedIn = seconds(started);
      const requestsAfterRestart = output.requests.length - requestsAtRestart;
      // Polls after the restart are signed by the vanished account: the CA's first such answer is
      // final and ends the run (no polling on through the backoff budget: 53-57 requests before).
      expect(requestsAfterRestart).toBeLessThanOrEqual(10);
      expect(failed.outcomes).toEqual([
        expect.objectContaining({
          certificateId: CERT,
          result: 'failed',
          errorCode: 'ORDER_REJECTED',
          message: expect.stringMatching(/accountDoesNotExist/),
        }),
      ]);

      const state = await p.plane.state.get(CERT);
      expect(state.current).toBeNull();
      expect(state.failure).toMatchObject({ attempts: 1, lastErrorCode: 'ORDER_REJECTED' });
      const nextAttemptAt = new Date(state.failure?.nextAttemptAt ?? 0).getTime();
      expect(nextAttemptAt).toBeGreaterThan(Date.now() + 50 * 60_000);
      const { Item: lease } = await p.clients.documents.send(
        new GetCommand({ TableName: stack().resources.tableName, Key: lockKey(`certificate/${CERT}`) }),
      );
      expect(lease).toBeUndefined();
      const accountBefore = await accounts.load(pebble.directoryUrl);
      expect(accountBefore).not.toBeNull();

      // The next scheduled run, right after: nothing reaches the CA.
      const requestsBefore = output.requests.length;
      const again = await runRenewals(config, p.plane);
      expect(again.outcomes).toEqual([expect.objectContaining({ certificateId: CERT, result: 'skipped' })]);
      expect(output.requests.length).toBe(requestsBefore);
      expect(orders).toEqual([CERT]);

      // Past the backoff: the saved account key is registered again and the order goes through.
      clock.offsetMs = nextAttemptAt - Date.now() + 60_000;
      const recoveredAt = performance.now();
      const recovered = await runRenewals(config, p.plane);
      expect(recovered.outcomes).toEqual([
        expect.objectContaining({ certificateId: CERT, result: 'renewed', revision: 1 }),
      ]);
      const after = await p.plane.state.get(CERT);
      expect(after.current?.revision).toBe(1);
      expect(after.failure).toBeNull();
      const accountAfter = await accounts.load(pebble.directoryUrl);
      expect(accountAfter?.keyPem).toBe(accountBefore?.keyPem);
      expect(accountAfter?.url).not.toBe(accountBefore?.url);
      console.log(
        `[fault] CA restarted mid-order: failed with ORDER_REJECTED (accountDoesNotExist) in ${failedIn} s; Pebble handled ${requestsAtRestart} requests before the restart and ${requestsAfterRestart} after (the first final answer ends the wait); next attempt in ${((nextAttemptAt - Date.now()) / 60_000).toFixed(0)} min, 0 requests on the run right after, recovered (account re-registered, revision 1) in ${seconds(recoveredAt)} s`,
      );
    } finally {
      onValidation = undefined;
      p.close();
    }
  }, 120_000);
});
