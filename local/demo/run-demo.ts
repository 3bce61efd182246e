/**
 * `acme-ha local demo`: the main job end to end on one machine. The embedded stack stands in for
 * AWS; the renewer, the agents and the responders are the production code; the TLS servers are
 * real Java, nginx and HAProxy processes.
 */

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoNodeStatusStore } from '../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoRolloutStore } from '../../adapters/aws/dynamo-rollout-store.ts';
import type { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { TlsProber } from '../../adapters/probe/tls-prober.ts';
import type { FleetCertificate } from '../../core/agent/fleet-status.ts';
import type { SyncOutcome, SyncResult } from '../../core/agent/sync/outcome.ts';
import {
  type AcmeHaConfig,
  type CertificateConfig,
  configSchema,
} from '../../core/config/certificate-config.ts';
import { fleetThresholds, profileOf } from '../../core/fleet/fleet-thresholds.ts';
import { readFleet } from '../../core/fleet/read-fleet.ts';
import { certificateHolders } from '../../core/fleet-audience.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { runRenewals } from '../../core/renewal/run-renewals.ts';
import type { Revision } from '../../core/renewal/types.ts';
import { type ControlPlane, createControlPlane } from '../../functions/commons/compose-control-plane.ts';
import { stackControlPlaneSettings } from '../control-plane-settings.ts';
import { ensureTools, TOOLS } from '../prerequisites.ts';
import { type LocalStack, startLocalStack } from '../stack.ts';
import { type DemoDmz, startDemoDmz } from './demo-dmz.ts';
import { DEMO_PASSWORD_ENV, type DemoNode, type ServerKind, startDemoNode } from './demo-node.ts';
import { type LoadBalancer, startLoadBalancer } from './load-balancer.ts';

const run = promisify(execFile);
const CERTIFICATE = 'demo';
/** A node the configuration declares but no agent runs on: the fleet status shows it silent. */
const SPARE_NODE = 'node-spare';
const NAMES = ['app.demo.acme-ha.test', 'www.demo.acme-ha.test', 'api.demo.acme-ha.test'];
const PASSWORD = 'demo-changeit';
const TOTAL_STEPS = 6;

export interface DemoReporter {
  step(index: number, total: number, title: string): void;
  detail(text: string): void;
  done(ms: number, text: string): void;
  warn(text: string): void;
  /** The fleet of a certificate, as `acme-ha status` shows it. */
  fleet(status: FleetCertificate): void;
}

export interface DemoOptions {
  readonly nodes: number;
  readonly dmz: number;
  readonly env: NodeJS.ProcessEnv;
  readonly reporter: DemoReporter;
  readonly signal: AbortSignal;
  /** Called with the summary while everything still runs (`--keep`): resolve to stop. */
  readonly whileRunning?: (summary: DemoSummary) => Promise<void>;
  /** The agents' structured log, for `--verbose`. */
  readonly log?: JsonLogger | undefined;
}

export interface DemoNodeSummary {
  readonly id: string;
  readonly kind: ServerKind;
  readonly tlsPort: number;
  /** Serial the node serves at the end, read by a TLS handshake. */
  readonly servedSerial: string;
  /** Milliseconds from the renewal's publication to this node serving it (step 3). */
  readonly convergedMs: number | null;
}

export interface DemoSummary {
  readonly ok: boolean;
  readonly certificate: {
    readonly id: string;
    readonly revision: number;
    readonly serial: string;
    readonly notAfter: string;
    readonly sans: readonly string[];
    readonly issuer: string;
  };
  readonly nodes: readonly DemoNodeSummary[];
  readonly dmz: readonly DemoNodeSummary[];
  readonly validation: { readonly requestsByNode: Readonly<Record<string, number>> };
  readonly renewal: { readonly revision: number; readonly convergenceMs: number };
  readonly failure: {
    readonly node: string;
    readonly result: string;
    readonly haltedNodes: readonly string[];
    readonly recoveredRevision: number;
  };
  /** PEM file of the Pebble root the served chains verify against (valid while the demo runs). */
  readonly caFile: string;
  readonly durationMs: number;
}

interface Seen {
  readonly node: string;
  readonly outcome: SyncOutcome;
  readonly at: number;
}

/** The demo certificate's entry in its configuration. */
function certificateConfig(config: AcmeHaConfig): CertificateConfig {
  const certificate = config.certificates.find((c) => c.id === CERTIFICATE);
  if (!certificate) throw new Error(`the demo configuration has no certificate ${CERTIFICATE}`);
  return certificate;
}

async function installed(command: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${command}`]).then(
    () => true,
    () => false,
  );
}

/** Java on node 1; nginx and HAProxy on nodes 2 and 3 when they are installed, Java otherwise. */
async function serverKinds(count: number, reporter: DemoReporter): Promise<ServerKind[]> {
  const available = { nginx: await installed('nginx'), haproxy: await installed('haproxy') };
  for (const kind of ['nginx', 'haproxy'] as const) {
    if (!available[kind])
      reporter.warn(
        `${kind} is not installed: its node runs the Java server instead (apt-get install ${kind})`,
      );
  }
  const wanted: ServerKind[] = ['java', 'nginx', 'haproxy'];
  return Array.from({ length: count }, (_, i) => {
    const kind = wanted[i % wanted.length] ?? 'java';
    return kind !== 'java' && !available[kind] ? 'java' : kind;
  });
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { reporter, signal } = options;
  const started = performance.now();
  const cleanups: (() => Promise<unknown>)[] = [];
  const seen: Seen[] = [];
  const waitFor = async <T>(
    what: string,
    probe: () => T | undefined | Promise<T | undefined>,
    timeoutMs = 60_000,
  ): Promise<T> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      signal.throwIfAborted();
      const value = await probe();
      if (value !== undefined) return value;
      if (performance.now() > deadline) {
        const recent = seen.slice(-6).map((s) => `${s.node} r${s.outcome.revision}:${s.outcome.result}`);
        throw new Error(
          `timed out waiting for ${what} (last agent outcomes: ${recent.join(', ') || 'none'})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  try {
    const step = (index: number, title: string) => {
      signal.throwIfAborted();
      reporter.step(index, TOTAL_STEPS, title);
      return performance.now();
    };

    // 1. The stack, the load balancer and the nodes.
    let t = step(1, `start the embedded stack and ${options.nodes} nodes`);
    await ensureTools([TOOLS.java, TOOLS.javac, TOOLS.openssl], (line) => reporter.detail(line));
    const kinds = await serverKinds(options.nodes, reporter);
    const ids = kinds.map((_, i) => `node-${i + 1}`);
    const directory = await mkdtemp(join(tmpdir(), 'acme-ha-demo-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const balancer: LoadBalancer = await startLoadBalancer();
    cleanups.push(() => balancer.stop());
    const stack: LocalStack = await startLocalStack({
      prefix: 'demo',
      nodes: ids.map((id) => ({ id, filterPolicy: { groups: ['demo'] } })),
      pebble: { httpPort: balancer.port },
      env: options.env,
      onSetup: (line) => reporter.detail(line),
    });
    cleanups.push(() => stack.stop());
    const clients: AwsClients = createAwsClients(stack.clientConfigs);
    cleanups.push(async () => clients.destroy());
    const caFile = join(directory, 'pebble-root.pem');
    await writeFile(caFile, (await stack.pebble?.rootCertificate()) ?? '');
    reporter.detail(`stack up in ${Math.round(stack.startedInMs)} ms: Pebble ${stack.pebble?.directoryUrl}`);
    // DMZ instances first: the pushing nodes' agents need their addresses. Nodes 1 and 2 push
    // (two for HA; the second waits a moment and then finds nothing left to do).
    const pushers = ids.slice(0, 2);
    const dmzKind: ServerKind = (await installed('nginx')) ? 'nginx' : 'java';
    const dmzInstances: DemoDmz[] = await Promise.all(
      Array.from({ length: options.dmz }, (_, i) =>
        startDemoDmz({
          id: `dmz-${i + 1}`,
          kind: dmzKind,
          directory: join(directory, `dmz-${i + 1}`),
          certificateId: CERTIFICATE,
          names: NAMES,
          password: PASSWORD,
          pushers,
          log: options.log,
        }),
      ),
    );
    cleanups.push(() => Promise.all(dmzInstances.map((d) => d.stop())));
    const nodes: DemoNode[] = await Promise.all(
      ids.map((id, i) =>
        startDemoNode({
          id,
          kind: kinds[i] ?? 'java',
          directory: join(directory, id),
          stack,
          clients,
          certificateId: CERTIFICATE,
          names: NAMES,
          password: PASSWORD,
          observer: { onSync: (outcome) => seen.push({ node: id, outcome, at: performance.now() }) },
          log: options.log,
          dmzPeers: pushers.includes(id)
            ? dmzInstances.map((d) => d.peerFor(id, id === pushers[0] ? 0 : 3))
            : [],
        }),
      ),
    );
    cleanups.push(() => Promise.all(nodes.map((n) => n.stop())));
    balancer.setBackends(nodes.map((n) => ({ name: n.id, port: n.responderPort })));
    for (const node of nodes) await node.startAgent();
    for (const node of nodes)
      reporter.detail(
        `${node.id}: ${node.kind.padEnd(7)} TLS on 127.0.0.1:${node.tlsPort}, self-signed until the first revision`,
      );
    for (const d of dmzInstances)
      reporter.detail(
        `${d.id}: ${d.kind.padEnd(7)} TLS on 127.0.0.1:${d.tlsPort}, fed by dmz serve (pushed by ${pushers.join(', ')})`,
      );
    reporter.done(performance.now() - t, 'ready');

    const config = configSchema.parse({
      version: 1,
      defaults: { directory: stack.pebble?.directoryUrl },
      certificates: [
        {
          id: CERTIFICATE,
          domains: NAMES,
          groups: ['demo'],
          dmz: dmzInstances.map((d) => d.id),
          keystores: [
            { format: 'jks', alias: 'server', password: { env: DEMO_PASSWORD_ENV } },
            { format: 'pem' },
          ],
        },
      ],
      // Every node the fleet should have, and one more whose agent was never installed: the fleet
      // status at the end lists it as silent (never seen), as `acme-ha status --config` would.
      nodes: [...ids, SPARE_NODE].map((id) => ({ id, groups: ['demo'] })),
      dmz: dmzInstances.flatMap((d) => {
        const [first] = pushers;
        return first ? [{ id: d.id, url: d.peerFor(first, 0).url, pushedBy: pushers }] : [];
      }),
    });
    const plane: ControlPlane = createControlPlane(stackControlPlaneSettings(stack), clients, {
      log: silentLogger,
      clock: systemClock,
      env: { [DEMO_PASSWORD_ENV]: PASSWORD },
    });
    const renew = async (force: boolean): Promise<Revision> => {
      const result = await runRenewals(config, plane, { force });
      const outcome = result.outcomes[0];
      if (outcome?.result !== 'renewed')
        throw new Error(`the renewal did not happen: ${JSON.stringify(outcome)}`);
      const current = (await plane.state.get(CERTIFICATE)).current;
      if (!current) throw new Error('no revision published');
      return current;
    };
    const outcomeOf = (node: string, revision: number, results: readonly SyncResult[]) =>
      seen.find(
        (s) => s.node === node && s.outcome.revision === revision && results.includes(s.outcome.result),
      );
    const prober = new TlsProber(5_000);
    const served = async (server: { tlsPort: number }) =>
      (await prober.probe({ host: '127.0.0.1', port: server.tlsPort, servername: NAMES[0] ?? '' })).serial;
    const converge = async (revision: Revision, since: number) => {
      const times = new Map<string, number>();
      for (const node of nodes) {
        const hit = await waitFor(`${node.id} to apply revision ${revision.revision}`, () =>
          outcomeOf(node.id, revision.revision, ['applied']),
        );
        times.set(node.id, hit.at - since);
      }
      for (const node of nodes) {
        const serial = await served(node);
        if (serial !== revision.serial)
          throw new Error(`${node.id} serves ${serial}, not ${revision.serial}`);
        reporter.detail(
          `${node.id} (${node.kind}) serves serial ${serial} after ${Math.round(times.get(node.id) ?? 0)} ms`,
        );
      }
      for (const d of dmzInstances) {
        await waitFor(`${d.id} to serve revision ${revision.revision}`, async () =>
          (await served(d).catch(() => '')) === revision.serial ? true : undefined,
        );
        times.set(d.id, performance.now() - since);
        reporter.detail(
          `${d.id} (DMZ, ${d.kind}) serves serial ${revision.serial} after ${Math.round(times.get(d.id) ?? 0)} ms`,
        );
      }
      return times;
    };

    // 2. Issue through Pebble, HTTP-01 answered by whichever node the balancer picks.
    t = step(2, `issue a certificate for ${NAMES.length} names through Pebble (HTTP-01)`);
    const first = await renew(false);
    const picks: Record<string, number> = {};
    for (const pick of balancer.picks)
      if (pick.status === 200) picks[pick.backend] = (picks[pick.backend] ?? 0) + 1;
    reporter.detail(
      `validation requests answered, by node: ${Object.entries(picks)
        .map(([n, c]) => `${n} ×${c}`)
        .join(', ')}`,
    );
    reporter.done(performance.now() - t, `revision ${first.revision}, serial ${first.serial}`);

    // 3. Distribute: every node receives, verifies, writes, reloads and proves it.
    t = step(3, 'distribute it to every node');
    await converge(first, t);
    reporter.done(
      performance.now() - t,
      `${nodes.length} node(s) and ${dmzInstances.length} DMZ instance(s) serve it`,
    );

    // 4. Renew (forced) and watch the rolling reload, one node at a time, the first as canary.
    t = step(4, 'renew (forced) and roll it out, one node at a time');
    const second = await renew(true);
    const published = performance.now();
    const times = await converge(second, published);
    const convergenceMs = Math.max(...times.values());
    reporter.done(performance.now() - t, `converged ${Math.round(convergenceMs)} ms after publication`);

    // 5. A broken reload on the canary: it rolls back and the rollout halts for the others.
    const [canary, ...others] = nodes;
    if (!canary) throw new Error('no nodes');
    t = step(5, `break ${canary.id}'s reload: it rolls back, the rollout halts`);
    for (const node of others) await node.stopAgent();
    await canary.startAgent(true);
    const third = await renew(true);
    const failed = await waitFor(`${canary.id} to roll back`, () =>
      outcomeOf(canary.id, third.revision, ['rolled-back', 'failed']),
    );
    reporter.detail(`${canary.id}: ${failed.outcome.result} — ${failed.outcome.message ?? ''}`);
    for (const node of others) await node.startAgent();
    const halted: string[] = [];
    for (const node of others) {
      await waitFor(`${node.id} to see the halted rollout`, () =>
        outcomeOf(node.id, third.revision, ['halted']),
      );
      halted.push(node.id);
    }
    for (const server of [...nodes, ...dmzInstances]) {
      const serial = await served(server);
      if (serial !== second.serial)
        throw new Error(`${server.id} serves ${serial} after the halt, not ${second.serial}`);
    }
    reporter.detail(
      `halted: ${halted.join(', ') || 'none'}; every node and DMZ instance still serves serial ${second.serial}`,
    );
    reporter.detail(`fix ${canary.id}'s reload and renew again`);
    await canary.startAgent(false);
    const fourth = await renew(true);
    await converge(fourth, performance.now());
    reporter.done(performance.now() - t, `recovered: revision ${fourth.revision} everywhere`);

    // 6. The fleet as `acme-ha status` shows it.
    t = step(6, 'fleet status');
    // Judged as `acme-ha status --config` judges it: the nodes the demo's configuration declares are
    // listed even if they never reported (the spare node).
    const status: FleetCertificate = await readFleet(
      {
        state: plane.state,
        rollouts: new DynamoRolloutStore(clients.documents, stack.resources.tableName),
        nodes: new DynamoNodeStatusStore(clients.documents, stack.resources.tableName),
      },
      {
        certificateId: CERTIFICATE,
        holders: certificateHolders(config, CERTIFICATE),
        thresholds: fleetThresholds(profileOf(config, certificateConfig(config))),
        now: new Date(),
      },
    );
    reporter.fleet(status);
    const dmz: DemoNodeSummary[] = [];
    for (const d of dmzInstances) {
      dmz.push({
        id: d.id,
        kind: d.kind,
        tlsPort: d.tlsPort,
        servedSerial: await served(d),
        convergedMs: times.get(d.id) ?? null,
      });
    }
    const nodeSummaries: DemoNodeSummary[] = [];
    for (const node of nodes) {
      nodeSummaries.push({
        id: node.id,
        kind: node.kind,
        tlsPort: node.tlsPort,
        servedSerial: await served(node),
        convergedMs: times.get(node.id) ?? null,
      });
    }
    reporter.done(
      performance.now() - t,
      `${status.counts.current} current, ${status.counts.failed} failed, ${status.counts.silent} silent (${SPARE_NODE} has no agent)`,
    );
    const summary: DemoSummary = {
      ok: [...nodeSummaries, ...dmz].every((n) => n.servedSerial === fourth.serial),
      certificate: {
        id: CERTIFICATE,
        revision: fourth.revision,
        serial: fourth.serial,
        notAfter: fourth.notAfter,
        sans: fourth.sans,
        issuer: fourth.issuer,
      },
      nodes: nodeSummaries,
      dmz,
      validation: { requestsByNode: picks },
      renewal: { revision: second.revision, convergenceMs: Math.round(convergenceMs) },
      failure: {
        node: canary.id,
        result: failed.outcome.result,
        haltedNodes: halted,
        recoveredRevision: fourth.revision,
      },
      caFile,
      durationMs: Math.round(performance.now() - started),
    };
    await options.whileRunning?.(summary);
    return summary;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
