/**
 * Promise: no duplicate orders. N control planes (distinct owners, production wiring, real Pebble)
 * run at the same time over M due certificates; some of them "crash" while holding a certificate's
 * lease (the run stops for ever before its order: no release, no failure record, as a killed Lambda).
 * Orders that reach the CA are counted: exactly one per certificate. The crashed holders' leases
 * block everyone while valid, and expire after RENEWAL_LEASE_MS (15 min — a constant, not
 * configurable, so time is moved forward with a shifted clock shared by every plane).
 *
 * CI: 3 trials × 4 planes (2 crash-prone) × 6 certificates, seed 2020. FAULT_LONG=1: 10 trials.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoLock } from '../../adapters/aws/dynamo-lock.ts';
import type { AcmeHaConfig } from '../../core/config/certificate-config.ts';
import { parseConfig } from '../../core/config/parse-config.ts';
import { RENEWAL_LEASE_MS } from '../../core/renewal/renew-certificate.ts';
import { type RunResult, runRenewals } from '../../core/renewal/run-renewals.ts';
import { lockKey } from '../../core/table-keys.ts';
import { type FaultPlane, faultPlane, ShiftedClock } from '../support/fault-control-plane.ts';
import { faultLong, faultSeed, seededRandom } from '../support/fault-random.ts';
import { useLocalStack } from '../support/local-stack.ts';

const SEED = faultSeed(2020);
const TRIALS = faultLong() ? 10 : 3;
const PLANES = 4;
const CRASHY = 2;
const CERTS = 6;
const stack = useLocalStack({ prefix: 'fault-orders' });
const open: FaultPlane[] = [];
afterAll(() => {
  for (const p of open.splice(0)) p.close();
});

function configFor(trial: number, concurrency: number): AcmeHaConfig {
  return parseConfig(
    JSON.stringify({
      version: 1,
      defaults: { directory: stack().pebble?.directoryUrl },
      renewal: { concurrency, maxOrdersPerRun: 50 },
      certificates: Array.from({ length: CERTS }, (_, j) => ({
        id: `t${trial}-c${j}`,
        domains: [`t${trial}-c${j}.acme-ha.test`],
        keystores: [{ format: 'pem' }],
      })),
    }),
    'fault config',
  );
}

describe('concurrent renewers with crashing lease holders', () => {
  it(`place exactly one order per due certificate (${TRIALS} trials, seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    const started = performance.now();
    const figures: string[] = [];
    let crashes = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const clock = new ShiftedClock();
      const orders = new Map<string, number>();
      const crashed = new Map<string, string>(); // certificate → owner that died holding it
      const onOrder = (r: { certificateId: string }) =>
        orders.set(r.certificateId, (orders.get(r.certificateId) ?? 0) + 1);
      const planes = Array.from({ length: PLANES }, (_, i) => {
        const owner = `t${trial}-plane-${i}`;
        let dead: (() => void) | undefined;
        const died = new Promise<void>((resolve) => {
          dead = resolve;
        });
        const crashy = i < CRASHY;
        const p = faultPlane(stack(), {
          owner,
          clock,
          onOrder,
          beforeOrder: (request) => {
            if (!crashy || crashed.size >= CERTS - 1 || random() >= 0.8) return undefined;
            crashed.set(request.certificateId, owner);
            dead?.();
            return new Promise<void>(() => undefined); // never settles: the holder is gone
          },
        });
        open.push(p);
        return { p, crashy, died, owner };
      });
      // Crash-prone planes work one certificate at a time, so a crash stops the whole run, as a
      // killed process would; healthy ones use two workers.
      const round = () =>
        Promise.all(
          planes.map(({ p, crashy, died }) => {
            const run = runRenewals(configFor(trial, crashy ? 1 : 2), p.plane);
            return Promise.race([run, died.then(() => null)]);
          }),
        );

      const first = await round();
      const lockedIds = new Set(
        first.flatMap((r: RunResult | null) => (r ? r.outcomes : [])).filter((o) => o.result === 'locked'),
      );
      // While the crashed holders' leases are valid nobody orders their certificates.
      const healthy = planes.filter((pl) => !pl.crashy);
      await Promise.all(healthy.map(({ p }) => runRenewals(configFor(trial, 2), p.plane)));
      for (const [id, owner] of crashed) {
        expect(orders.get(id) ?? 0, `${id} was ordered while ${owner} held its lease`).toBe(0);
        const { Item } = (await healthy[0]?.p.clients.documents.send(
          new GetCommand({ TableName: stack().resources.tableName, Key: lockKey(`certificate/${id}`) }),
        )) ?? { Item: undefined };
        expect(Item?.owner).toBe(owner);
        expect(Number(Item?.leaseUntil)).toBeGreaterThan(clock.now().getTime());
      }
      // Past the lease: the healthy planes take the abandoned certificates over, concurrently.
      clock.offsetMs += RENEWAL_LEASE_MS + 1000;
      const last = await Promise.all(healthy.map(({ p }) => runRenewals(configFor(trial, 2), p.plane)));
      const lastOutcomes = last.flatMap((r) => r.outcomes);
      const firstOutcomes = first.flatMap((r) => (r ? r.outcomes : []));
      // Every abandoned certificate was taken over and ordered once more — renewed, or failed at the
      // CA (a failed order is not a duplicate: it is persisted with its backoff and never retried here).
      const attemptedLast = lastOutcomes.filter((o) => o.result === 'renewed' || o.result === 'failed');
      expect(
        attemptedLast.map((o) => o.certificateId).sort(),
        `trial ${trial}: first round ${JSON.stringify(firstOutcomes)}; last round ${JSON.stringify(lastOutcomes)}`,
      ).toEqual([...crashed.keys()].sort());

      const state = healthy[0]?.p.plane.state;
      if (!state) throw new Error('no healthy plane');
      for (let j = 0; j < CERTS; j++) {
        const id = `t${trial}-c${j}`;
        // The promise: exactly one order per due certificate, and never a second revision.
        expect(orders.get(id), `orders for ${id}`).toBe(1);
        expect(await state.getRevision(id, 2)).toBeNull();
        const after = await state.get(id);
        if (after.current === null) {
          // The one order failed at the CA (seen once in CI under load): it must be on record.
          expect(after.failure, `${id} has neither a revision nor a recorded failure`).not.toBeNull();
          console.log(`[fault] ${id}: the single order failed: ${JSON.stringify(after.failure)}`);
        } else {
          expect(after.current.revision).toBe(1);
        }
      }
      crashes += crashed.size;
      figures.push(
        `trial ${trial}: crashed holders ${crashed.size}, locked answers ${lockedIds.size}, orders ${[...orders.values()].reduce((a, b) => a + b, 0)}`,
      );
    }
    expect(crashes, 'no holder crashed: the seed proves nothing').toBeGreaterThan(0);
    console.log(
      `[fault] duplicate orders: seed ${SEED}, ${TRIALS} trials × ${PLANES} planes × ${CERTS} certificates; ${figures.join('; ')}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 300_000);

  it('a crashed holder keeps the lease for RENEWAL_LEASE_MS, then anyone may take it', async () => {
    const clock = new ShiftedClock();
    const p = faultPlane(stack(), { owner: 'lease-test', clock });
    open.push(p);
    const lock = new DynamoLock(p.clients.documents, stack().resources.tableName, clock);
    const held = await lock.acquire('certificate/lease-test', 'dead-holder', RENEWAL_LEASE_MS);
    expect(held).not.toBeNull();
    clock.offsetMs = RENEWAL_LEASE_MS - 5_000;
    expect(await lock.acquire('certificate/lease-test', 'other', RENEWAL_LEASE_MS)).toBeNull();
    clock.offsetMs = RENEWAL_LEASE_MS + 1;
    const taken = await lock.acquire('certificate/lease-test', 'other', RENEWAL_LEASE_MS);
    expect(taken?.owner).toBe('other');
    // The dead holder's late release cannot free the new holder's lease.
    if (held) await lock.release(held);
    expect(await lock.acquire('certificate/lease-test', 'third', RENEWAL_LEASE_MS)).toBeNull();
  });
});
