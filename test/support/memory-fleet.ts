/**
 * A fleet of agents in memory for unit tests: the shared control plane (state, bucket, locks,
 * rollouts, reports) and nodes with their own disk, fake TLS server and installed-revision record.
 */
import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { InMemoryFileSink } from '../../adapters/memory/in-memory-file-sink.ts';
import { InMemoryInstalledRevisions } from '../../adapters/memory/in-memory-installed-revisions.ts';
import { InMemoryKeystoreStore } from '../../adapters/memory/in-memory-keystore-store.ts';
import { InMemoryLock } from '../../adapters/memory/in-memory-lock.ts';
import { InMemoryNodeStatusStore } from '../../adapters/memory/in-memory-node-status-store.ts';
import { InMemoryRolloutStore } from '../../adapters/memory/in-memory-rollout-store.ts';
import { InMemoryStateStore } from '../../adapters/memory/in-memory-state-store.ts';
import type { AgentDeps } from '../../core/agent/sync/agent-deps.ts';
import type { CertificatePlan } from '../../core/agent/sync/plan.ts';
import { FakeProber, FakeTlsServer } from '../fakes/fake-tls-server.ts';

export const CERT = 'app';
export const PASSWORD = 'changeit';

/** The shared control plane of a fleet: one state store, bucket, lock table, rollout and status table. */
export function aFleet() {
  return {
    state: new InMemoryStateStore(),
    keystores: new InMemoryKeystoreStore(),
    lock: new InMemoryLock({ now: () => new Date() }),
    rollouts: new InMemoryRolloutStore(),
    status: new InMemoryNodeStatusStore(),
    /** Every node's log lines (JSON), in order. */
    log: [] as string[],
  };
}
export type Fleet = ReturnType<typeof aFleet>;

/**
 * One node: its own disk, server and installed-revision memory, on the fleet's shared stores.
 * `agentMaxParallel` is its (deprecated) agent configuration value; `slotWaitMs` how long it waits
 * for the canary or a slot.
 */
export function aNode(
  fleet: Fleet,
  nodeId: string,
  port: number,
  options: { names?: string[]; password?: string; agentMaxParallel?: number; slotWaitMs?: number } = {},
) {
  const files = new InMemoryFileSink();
  const path = `/srv/${nodeId}/server.jks`;
  const server = new FakeTlsServer(port, files, path, options.password ?? PASSWORD);
  const installed = new InMemoryInstalledRevisions();
  const deps: AgentDeps = {
    nodeId,
    state: fleet.state,
    keystores: fleet.keystores,
    files,
    installed,
    status: fleet.status,
    rollouts: fleet.rollouts,
    lock: fleet.lock,
    prober: new FakeProber([server]),
    clock: { now: () => new Date() },
    log: new JsonLogger((line) => fleet.log.push(line), 'agent', 'debug', { nodeId }),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5))),
    random: () => 0.5,
    rollout: {
      maxParallel: options.agentMaxParallel,
      slotTtlMs: 60_000,
      canaryTimeoutMs: options.slotWaitMs ?? 5_000,
      probeTimeoutMs: 50,
      pollMs: 5,
    },
  };
  const plan: CertificatePlan = {
    certificateId: CERT,
    targets: [
      {
        selection: {
          format: 'jks',
          pemFiles: [],
          password: options.password ?? PASSWORD,
          alias: 'server',
          names: options.names ?? ['app.acme-ha.test'],
        },
        path,
        mode: 0o600,
        reloader: server,
        drain: null,
        probes: [{ host: '127.0.0.1', port, servername: 'app.acme-ha.test' }],
      },
    ],
  };
  return { deps, plan, files, server, installed, path };
}
