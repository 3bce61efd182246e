/**
 * Zero downtime (issue 21): what clients going through a real load balancer see while a new
 * revision rolls across nodes whose reload is a restart, with and without `drain`, for 3 and 10
 * nodes: requests and failures, and latency at the 50th and 99th percentile, in steady state and
 * during the rollout. The scenario is the drain test's (test/support/zero-downtime.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAwsClients } from '../adapters/aws/aws-clients.ts';
import { startLocalStack } from '../local/stack.ts';
import { failed, type PhaseTraffic, percentile } from '../local/tls-traffic.ts';
import { rollingRestartUnderTraffic } from '../test/support/zero-downtime.ts';
import type { BenchSuite } from './suite.ts';

const SIZES = [3, 10] as const;
const DRAINS = ['haproxy', 'health', null] as const;
const DRAIN_NAMES = {
  haproxy: 'drain (HAProxy runtime API)',
  health: 'drain (health endpoint, HAProxy httpchk)',
} as const;

const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : '–');
const kinds = (phase: PhaseTraffic) =>
  Object.entries(phase.failures)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ') || 'none';

export const zeroDowntime: BenchSuite = {
  id: 'zero-downtime',
  title: 'Zero downtime: clients through HAProxy while nodes restart, with and without drain',
  target:
    'issue 21: 0 failed requests during a rollout with drain; the same rollout without drain shows what it prevents',
  async run() {
    const nodeIds = Array.from({ length: Math.max(...SIZES) }, (_, i) => `zd-${i + 1}`);
    const stack = await startLocalStack({ prefix: 'bench-zd', nodes: nodeIds, pebble: false });
    const clients = createAwsClients(stack.clientConfigs);
    const base = await mkdtemp(join(tmpdir(), 'acme-ha-bench-zd-'));
    const cleanups: (() => Promise<void>)[] = [];
    const rows: string[][] = [];
    const raw: Record<string, unknown>[] = [];
    let drainedFailures = 0;
    let undrainedFailures = 0;
    try {
      for (const size of SIZES) {
        for (const drain of DRAINS) {
          const id = `zd-${size}-${drain ?? 'plain'}`;
          const r = await rollingRestartUnderTraffic({
            stack,
            clients,
            nodeIds: nodeIds.slice(0, size),
            certificateId: id,
            drain,
            base: join(base, id),
            cleanups,
          });
          if (drain) drainedFailures += failed(r.during) + failed(r.steady);
          else undrainedFailures += failed(r.during);
          rows.push([
            `${size} nodes, ${drain ? DRAIN_NAMES[drain] : 'no drain'}`,
            `${r.steady.ok + failed(r.steady)} / ${r.during.ok + failed(r.during)}`,
            kinds(r.during),
            `${ms(percentile(r.steady.latenciesMs, 50))} / ${ms(percentile(r.steady.latenciesMs, 99))}`,
            `${ms(percentile(r.during.latenciesMs, 50))} / ${ms(percentile(r.during.latenciesMs, 99))}`,
            `${(r.rolloutMs / 1000).toFixed(1)} s`,
          ]);
          raw.push({ id, size, drain, steady: r.steady, during: r.during, rolloutMs: r.rolloutMs });
          for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
        }
      }
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      clients.destroy();
      await stack.stop();
      await rm(base, { recursive: true, force: true });
    }
    return {
      columns: [
        'case',
        'requests steady / during',
        'failed during the rollout',
        'latency p50 / p99, steady',
        'latency p50 / p99, during',
        'rollout (publish → last node applied)',
      ],
      rows,
      verdict: `With drain: ${drainedFailures} failed requests in all (target 0, ${drainedFailures === 0 ? 'met' : 'missed'}). Without drain, the same rollouts failed ${undrainedFailures} requests. Drain costs time: each node waits for its open sessions to end before it restarts, and a health drain waits its settle time (1 s here: two failed checks) as well.`,
      method:
        'One embedded stack (no Pebble), then per case: a real HAProxy (TCP mode, TLS passed through, round robin, health check every 200 ms, down after 2 failures; a TCP check, or with the health drain an HTTP check of each agent\'s endpoint, settle 1 s) in front of N in-process TLS nodes whose reload is a restart (every connection dropped, port closed for 600 ms); 8 clients make fresh TLS connections through it back to back, send an HTTP/1.0 request (100 ms at the server) and check the answer, each chain verified against the CA; after 1 s of steady state a new revision is published and the nodes\' agents sync at once (one rollout slot, so one node at a time). "During" runs from the publication to 0.5 s after the last node applied. Latencies are of successful requests, connect to close.',
      raw,
    };
  },
};
