/**
 * Zero downtime, through a real load balancer (test/support/zero-downtime.ts): HAProxy in front of
 * three nodes whose reload is a restart (one a real Java server on a JKS keystore, whose JVM is
 * restarted), clients connecting through it throughout, the agents
 * rolling a new revision across the nodes. With `drain` (HAProxy's runtime API) no request fails;
 * the same rollout without it does fail, so the test can fail. And a balancer that cannot be
 * reached is no reason to restart a node in rotation.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { syncOnce } from '../../../core/agent/agent-loop.ts';
import { freeTcpPort, LOOPBACK } from '../../../local/net.ts';
import { failed } from '../../../local/tls-traffic.ts';
import { agentConfigFor, createTestAgent } from '../../support/agent-fleet.ts';
import { aServerPki, serialOf, writePemFiles } from '../../support/agent-keystores.ts';
import { publishRevision, stackStores } from '../../support/agent-revisions.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { opensslHandshake } from '../../support/openssl.ts';
import { pemOf } from '../../support/pki.ts';
import { tempDir } from '../../support/temp-dir.ts';
import {
  RestartingServer,
  rollingRestartUnderTraffic,
  type ScenarioResult,
  SERVED_NAME,
} from '../../support/zero-downtime.ts';

const NODES = ['lb-1', 'lb-2', 'lb-3'];
/** A real Java server on a JKS keystore, restarted as a JVM; the other two are in-process TLS servers. */
const JAVA_NODES = ['lb-2'];

const stack = useLocalStack({ nodes: NODES, prefix: 'drain', pebble: false });
let clients: AwsClients | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  clients?.destroy();
});

/** The scenario on this file's stack and nodes; `brokenNodeId` for the broken-canary drill. */
async function scenario(
  certificateId: string,
  drain: 'haproxy' | 'health' | null,
  brokenNodeId?: string,
): Promise<ScenarioResult> {
  clients ??= createAwsClients(stack().clientConfigs);
  return rollingRestartUnderTraffic({
    stack: stack(),
    clients,
    nodeIds: NODES,
    javaNodeIds: JAVA_NODES,
    certificateId,
    drain,
    ...(brokenNodeId ? { brokenNodeId } : {}),
    base: await tempDir(`acme-ha-drain-${certificateId}-`),
    cleanups,
  });
}

/** A full rollout: every node applied the new revision, restarted once and serves it. */
async function rollout(certificateId: string, drain: 'haproxy' | 'health' | null): Promise<ScenarioResult> {
  const result = await scenario(certificateId, drain);
  expect(result.sync.flatMap((r) => r.outcomes.map((o) => o.result))).toEqual([
    'applied',
    'applied',
    'applied',
  ]);
  expect(result.nodes.map((n) => n.restarts)).toEqual([1, 1, 1]);
  for (const n of result.nodes) {
    const handshake = await opensslHandshake({
      port: n.port,
      servername: SERVED_NAME,
      caFile: result.caFile,
    });
    expect(handshake.served[0]?.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''), n.id).toBe(
      serialOf(result.second),
    );
  }
  const summary = (p: ScenarioResult['steady']) => ({ ok: p.ok, failures: p.failures });
  console.log(
    `[drain] ${certificateId}: steady ${JSON.stringify(summary(result.steady))}, during ${JSON.stringify(summary(result.during))}`,
  );
  return result;
}

describe('a rolling restart behind HAProxy, clients connecting throughout', () => {
  it('with drain: every request succeeds and every chain verifies', async () => {
    const { steady, during, balancerStatus } = await rollout('drained', 'haproxy');
    expect([steady.failures, during.failures]).toEqual([{}, {}]);
    // Every node back in rotation.
    expect(balancerStatus).toEqual({ 'lb-1': 'UP', 'lb-2': 'UP', 'lb-3': 'UP' });
    expect(during.ok).toBeGreaterThan(50);
  }, 120_000);

  it('with a health endpoint the balancer checks (as an ALB or NLB would): every request succeeds', async () => {
    const { steady, during, balancerStatus } = await rollout('health', 'health');
    expect([steady.failures, during.failures]).toEqual([{}, {}]);
    expect(balancerStatus).toEqual({ 'lb-1': 'UP', 'lb-2': 'UP', 'lb-3': 'UP' });
    expect(during.ok).toBeGreaterThan(50);
  }, 120_000);

  it('without drain (the control): clients see failed requests while the nodes restart', async () => {
    const { steady, during } = await rollout('undrained', null);
    expect(steady.failures).toEqual({});
    expect(failed(during)).toBeGreaterThan(0);
  }, 120_000);
});

describe('the broken-canary drill behind HAProxy, clients connecting throughout', () => {
  it('the broken node rolls back and rejoins with the old certificate; no one else restarts; no request fails', async () => {
    const result = await scenario('drill', 'haproxy', 'lb-1');
    expect(result.sync.flatMap((r) => r.outcomes.map((o) => [o.certificateId, o.result]))).toEqual([
      ['drill', 'rolled-back'],
      ['drill', 'halted'],
      ['drill', 'halted'],
    ]);
    // Restarted for the new certificate, which did not take, and again for the restored one.
    expect(result.nodes.map((n) => n.restarts)).toEqual([2, 0, 0]);
    expect(result.balancerStatus).toEqual({ 'lb-1': 'UP', 'lb-2': 'UP', 'lb-3': 'UP' });
    console.log(
      `[drain] drill: during ${JSON.stringify({ ok: result.during.ok, failures: result.during.failures })}`,
    );
    expect([result.steady.failures, result.during.failures]).toEqual([{}, {}]);
  }, 120_000);
});

describe('a load balancer that cannot be reached', () => {
  it('is not a reason to restart in rotation: nothing written, no reload, DRAIN_FAILED', async () => {
    const s = stack();
    clients ??= createAwsClients(s.clientConfigs);
    const base = await tempDir('acme-ha-drain-unreachable-');
    const dir = join(base, 'pem');
    await mkdir(dir);
    const before = await aServerPki({ sans: [SERVED_NAME] });
    await writePemFiles(dir, before);
    const server = new RestartingServer(dir, await freeTcpPort());
    await server.start();
    cleanups.push(() => server.stop());
    await publishRevision(stackStores(s, clients), 'unreachable', await aServerPki({ sans: [SERVED_NAME] }));
    const node = NODES[0] ?? '';
    const agent = await createTestAgent(
      s,
      agentConfigFor(s, node, join(base, 'state'), [
        {
          certificateId: 'unreachable',
          format: 'pem',
          path: dir,
          reload: { http: { url: `http://${LOOPBACK}:1/never`, method: 'POST' }, timeoutSeconds: 5 },
          probe: [{ port: server.port, sni: SERVED_NAME }],
          drain: {
            haproxy: { socket: join(base, 'no-balancer.sock'), backend: 'nodes', server: node },
            timeoutSeconds: 1,
            settleSeconds: 1,
          },
        },
      ]),
    );
    const result = await syncOnce(agent.deps, agent.options);
    expect(result.outcomes).toMatchObject([{ result: 'failed', errorCode: 'DRAIN_FAILED' }]);
    expect(result.outcomes[0]?.message).toContain('no-balancer.sock');
    expect(server.restarts).toBe(0);
    expect(await readFile(join(dir, 'fullchain.pem'), 'utf8')).toBe(pemOf(before.chain));
  });
});
