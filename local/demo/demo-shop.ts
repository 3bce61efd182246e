/**
 * The demo's zero-downtime step: a "shop" certificate served by three nodes behind a real HAProxy
 * (TLS passed through, TCP health checks) — a Java server whose reload is a restart of its JVM,
 * nginx (graceful reload) and HAProxy (certificate replaced through its runtime API) — with clients
 * making fresh, verified TLS requests through the balancer while a renewal rolls across them. Once
 * with the Java node drained from the balancer around its restart, once without (the control).
 */
import { join } from 'node:path';
import type { AwsClients } from '../../adapters/aws/aws-clients.ts';
import type { JsonLogger } from '../../adapters/logging/json-logger.ts';
import type { AgentObserver } from '../../core/agent/agent-loop.ts';
import { type HaproxyBalancer, startHaproxyBalancer } from '../haproxy-server.ts';
import type { LocalStack } from '../stack.ts';
import { failed, type PhaseTraffic, percentile, trafficAround } from '../tls-traffic.ts';
import { type DemoNode, type ServerKind, startDemoNode } from './demo-node.ts';

export const SHOP_CERTIFICATE = 'demo-shop';
export const SHOP_NAMES = ['shop.demo.acme-ha.test'];
export const SHOP_GROUP = 'shop';
/** The shop's nodes and their servers; the Java node restarts on reload, the others do not. */
export const SHOP_NODES: readonly { readonly id: string; readonly kind: ServerKind }[] = [
  { id: 'shop-1', kind: 'java' },
  { id: 'shop-2', kind: 'nginx' },
  { id: 'shop-3', kind: 'haproxy' },
];
const RESTARTS: ServerKind = 'java';
/** Concurrent clients, each making one request after another. */
export const SHOP_CLIENTS = 8;
/** Traffic before the renewal starts, the steady state the rollout is compared with. */
const STEADY_MS = 1_000;

export interface ShopPool {
  readonly nodes: readonly DemoNode[];
  readonly balancer: HaproxyBalancer;
  /** (Re)starts every agent; with `drain`, the node that restarts leaves the balancer around it. */
  startAgents(drain: boolean): Promise<void>;
  stop(): Promise<void>;
}

export async function startShopPool(options: {
  readonly directory: string;
  readonly stack: LocalStack;
  readonly clients: AwsClients;
  readonly password: string;
  readonly observer: (nodeId: string) => AgentObserver;
  readonly log?: JsonLogger | undefined;
}): Promise<ShopPool> {
  const nodes: DemoNode[] = [];
  const stopNodes = () => Promise.all(nodes.map((n) => n.stop()));
  try {
    for (const { id, kind } of SHOP_NODES)
      nodes.push(
        await startDemoNode({
          id,
          kind,
          restarts: kind === RESTARTS,
          groups: [SHOP_GROUP],
          directory: join(options.directory, id),
          stack: options.stack,
          clients: options.clients,
          certificateId: SHOP_CERTIFICATE,
          names: SHOP_NAMES,
          password: options.password,
          observer: options.observer(id),
          log: options.log,
        }),
      );
    const balancer = await startHaproxyBalancer({
      directory: join(options.directory, 'balancer'),
      servers: nodes.map((n) => ({ name: n.id, port: n.tlsPort })),
    });
    return {
      nodes,
      balancer,
      startAgents: async (drain) => {
        for (const node of nodes)
          await node.startAgent(
            drain && node.kind === RESTARTS
              ? {
                  drain: {
                    haproxy: { socket: balancer.adminSocket, backend: balancer.backend, server: node.id },
                    timeoutSeconds: 10,
                  },
                }
              : {},
          );
      },
      stop: async () => {
        await stopNodes();
        await balancer.stop();
      },
    };
  } catch (error) {
    await stopNodes();
    throw error;
  }
}

/** Requests in one phase: how many, how many failed and why, latency percentiles of the others. */
export interface PhaseSummary {
  readonly requests: number;
  readonly failed: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface RolloutUnderTraffic {
  readonly drain: boolean;
  readonly revision: number;
  /** From the renewal's start until every node applied it. */
  readonly rolloutMs: number;
  readonly steady: PhaseSummary;
  readonly during: PhaseSummary;
}

function summarise(phase: PhaseTraffic): PhaseSummary {
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    requests: phase.ok + failed(phase),
    failed: failed(phase),
    failures: phase.failures,
    p50Ms: round(percentile(phase.latenciesMs, 50)),
    p99Ms: round(percentile(phase.latenciesMs, 99)),
  };
}

/**
 * Clients through the balancer: a steady second, then `renew` and `applied` (every node applied the
 * new revision) under traffic.
 */
export async function rollUnderTraffic(options: {
  readonly pool: ShopPool;
  readonly drain: boolean;
  /** PEM certificates the clients trust. */
  readonly ca: readonly string[];
  readonly renew: () => Promise<{ readonly revision: number }>;
  readonly applied: (revision: number) => Promise<void>;
}): Promise<RolloutUnderTraffic> {
  await options.pool.startAgents(options.drain);
  const { steady, during, result, actionMs } = await trafficAround(
    {
      port: options.pool.balancer.port,
      servername: SHOP_NAMES[0] ?? '',
      ca: options.ca,
      clients: SHOP_CLIENTS,
      steadyMs: STEADY_MS,
      afterMs: 300,
    },
    async () => {
      const { revision } = await options.renew();
      await options.applied(revision);
      return revision;
    },
  );
  return {
    drain: options.drain,
    revision: result,
    rolloutMs: Math.round(actionMs),
    steady: summarise(steady),
    during: summarise(during),
  };
}

/** `shop-1 (java, restarts to reload), shop-2 (nginx), …: behind HAProxy on 127.0.0.1:PORT (TLS passed through)` */
export function describePool(pool: ShopPool): string {
  const nodes = pool.nodes.map(
    (n) => `${n.id} (${n.kind}${n.kind === RESTARTS ? ', restarts to reload' : ''})`,
  );
  return `${nodes.join(', ')}: behind HAProxy on 127.0.0.1:${pool.balancer.port} (TLS passed through)`;
}

/** One line for the demo's output: `412 requests in 3.1 s, 0 failed, p99 14 ms (steady 9 ms)`. */
export function describeRollout(rollout: RolloutUnderTraffic): string {
  const { during, steady } = rollout;
  const kinds = Object.entries(during.failures)
    .map(([kind, count]) => `${kind} ×${count}`)
    .join(', ');
  return `${during.requests} requests in the ${(rollout.rolloutMs / 1000).toFixed(1)} s of renewal and rollout, ${during.failed} failed${kinds ? ` (${kinds})` : ''}, p99 ${during.p99Ms} ms (steady ${steady.p99Ms} ms)`;
}
