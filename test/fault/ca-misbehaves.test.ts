/**
 * Promise: the CA misbehaves and the renewer fails cleanly, with persisted state and backoff, and
 * never loops hot. No local CA rate-limits, so a STAND-IN is used: a small directory server that
 * serves Pebble's real directory (nonces, accounts, everything else go to Pebble) but points
 * `newOrder` at itself and answers it with 429, an ACME `rateLimited` problem and `Retry-After`.
 * Also: a CA that refuses connections. Ten scheduled runs in a row then reach the CA once each
 * for these certificates; the persisted next attempt honours Retry-After (later than the 1 h
 * backoff when the CA says so).
 *
 * Covered elsewhere and cited in docs/reliability.md: PEBBLE_WFE_NONCEREJECT=50
 * (test/integration/local/pebble-http01.test.ts), validation failures and blocked names with
 * backoff (test/integration/control-plane/renewer.test.ts).
 */
import { createServer } from 'node:http';
import { Agent, get } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeHttp } from '../../adapters/http/http-server.ts';
import { parseConfig } from '../../core/config/parse-config.ts';
import { runRenewals } from '../../core/renewal/run-renewals.ts';
import { listenHttp } from '../../local/net.ts';
import { faultPlane } from '../support/fault-control-plane.ts';
import { useLocalStack } from '../support/local-stack.ts';

const RETRY_AFTER_S = 7200;
const stack = useLocalStack({ prefix: 'fault-ca' });
let rateLimiter: { url: string; newOrders: number; stop: () => Promise<void> };

function fetchJson(url: string, ca: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    get(url, { agent: new Agent({ ca }) }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  const upstream = await fetchJson(stack().pebble?.directoryUrl ?? '', stack().pebble?.caPem ?? '');
  let base = '';
  const state = { newOrders: 0 };
  const server = createServer((req, res) => {
    if (req.url === '/directory') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...upstream, newOrder: `${base}/new-order` }));
      return;
    }
    if (req.url === '/new-order' && req.method === 'POST') {
      state.newOrders++;
      req.resume();
      res
        .writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': String(RETRY_AFTER_S) })
        .end(
          JSON.stringify({
            type: 'urn:ietf:params:acme:error:rateLimited',
            detail: 'stand-in: too many certificates',
          }),
        );
      return;
    }
    res.writeHead(404).end();
  });
  const port = await listenHttp(server, 0);
  base = `http://127.0.0.1:${port}`;
  rateLimiter = {
    url: `${base}/directory`,
    get newOrders() {
      return state.newOrders;
    },
    stop: () => closeHttp(server),
  };
});
afterAll(async () => {
  await rateLimiter?.stop();
});

describe('a CA that rate-limits or is down', () => {
  it('ten scheduled runs in a row reach the CA once per certificate; state and Retry-After persisted', async () => {
    const config = parseConfig(
      JSON.stringify({
        version: 1,
        defaults: { directory: stack().pebble?.directoryUrl },
        certificates: [
          {
            id: 'limited',
            domains: ['limited.acme-ha.test'],
            directory: rateLimiter.url,
            keystores: [{ format: 'pem' }],
          },
          {
            id: 'ca-down',
            domains: ['down.acme-ha.test'],
            directory: 'https://127.0.0.1:9/directory',
            keystores: [{ format: 'pem' }],
          },
        ],
      }),
      'ca config',
    );
    const orders: string[] = [];
    const p = faultPlane(stack(), { owner: 'ca-fault', onOrder: (r) => orders.push(r.certificateId) });
    const started = performance.now();
    try {
      const first = await runRenewals(config, p.plane);
      const byId = Object.fromEntries(first.outcomes.map((o) => [o.certificateId, o]));
      expect(byId.limited).toMatchObject({ result: 'failed', errorCode: 'RATE_LIMITED' });
      expect(byId['ca-down']).toMatchObject({ result: 'failed', errorCode: 'CA_UNREACHABLE' });
      const limited = await p.plane.state.get('limited');
      expect(limited.current).toBeNull();
      expect(limited.failure).toMatchObject({ attempts: 1, lastErrorCode: 'RATE_LIMITED' });
      expect(new Date(limited.failure?.nextAttemptAt ?? 0).getTime()).toBeGreaterThanOrEqual(
        Date.now() + (RETRY_AFTER_S - 60) * 1000,
      );
      const down = await p.plane.state.get('ca-down');
      expect(down.failure?.attempts).toBe(1);
      expect(new Date(down.failure?.nextAttemptAt ?? 0).getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);

      for (let i = 0; i < 9; i++) {
        const again = await runRenewals(config, p.plane);
        expect(again.outcomes.map((o) => o.result)).toEqual(['skipped', 'skipped']);
      }
      expect(orders.sort()).toEqual(['ca-down', 'limited']);
      expect(rateLimiter.newOrders).toBe(1);
    } finally {
      p.close();
    }
    console.log(
      `[fault] CA misbehaves: 10 runs, newOrder requests at the rate limiter ${rateLimiter.newOrders}, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 60_000);
});
