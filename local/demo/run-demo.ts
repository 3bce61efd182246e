/**
 * `acme-ha local demo`: the main job end to end on one machine. The embedded stack stands in for
 * AWS; the renewer, the agents and the responders are the production code; the TLS servers are
 * real Java, nginx and HAProxy processes.
 */

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
import { certificateHolders, nodeAudience } from '../../core/fleet-audience.ts';
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
import {
  describePool,
  describeRollout,
  type RolloutUnderTraffic,
  rollUnderTraffic,
  SHOP_CERTIFICATE,
  SHOP_CLIENTS,
  SHOP_GROUP,
  SHOP_NAMES,
  SHOP_NODES,
  type ShopPool,
  startShopPool,
} from './demo-shop.ts';
import { type LoadBalancer, startLoadBalancer } from './load-balancer.ts';

const run = promisify(execFile);
const CERTIFICATE = 'demo';
/** A node the configuration declares but no agent runs on: the fleet status shows it silent. */
const SPARE_NODE = 'node-spare';
const NAMES = ['app.demo.acme-ha.test', 'www.demo.acme-ha.test', 'api.demo.acme-ha.test'];
const PASSWORD = 'demo-changeit';
/**
 * The first DMZ instance's own certificate (CrushFTP: "DMZ servers with a public domain"): its
 * names resolve to the DMZ instance, so the CA's HTTP-01 requests arrive there; its port-80
 * responder redirects them to the public responder. Installed on that DMZ instance only.
 */
const DMZ_CERTIFICATE = 'dmz-site';
const DMZ_NAMES = ['dmz.demo.acme-ha.test'];
/** The DMZ instance's address, as the DNS stub resolves its names (the other names: 127.0.0.1). */
const DMZ_ADDRESS = '127.0.0.2';
/** The public responder's name, the DMZ responder's redirect target: the load balancer here. */
const RESPONDER_NAME = 'acme-responder.demo.acme-ha.test';

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
  readonly dmz: readonly (DemoNodeSummary & { readonly tlsPorts: Readonly<Record<string, number>> })[];
  /** Every certificate, where its names resolve, and where a TLS handshake finds it served. */
  readonly certificates: readonly DemoCertificateSummary[];
  readonly validation: {
    /** HTTP-01 requests the load balancer's nodes answered 200, by node. */
    readonly requestsByNode: Readonly<Record<string, number>>;
    /** HTTP-01 requests that arrived at a DMZ instance's port-80 responder (and were redirected). */
    readonly requestsAtDmz: Readonly<Record<string, number>>;
  };
  readonly renewal: { readonly revision: number; readonly convergenceMs: number };
  readonly failure: {
    readonly node: string;
    readonly result: string;
    readonly haltedNodes: readonly string[];
    readonly recoveredRevision: number;
  };
  /**
   * Clients through a real HAProxy while the shop certificate rolls across a Java node that restarts,
   * nginx and HAProxy: with the Java node drained around its restart, and without (the control).
   * Null when nginx or HAProxy is not installed.
   */
  readonly zeroDowntime: {
    readonly balancerPort: number;
    readonly nodes: readonly { readonly id: string; readonly kind: ServerKind; readonly tlsPort: number }[];
    readonly withDrain: RolloutUnderTraffic;
    readonly withoutDrain: RolloutUnderTraffic;
  } | null;
  /** PEM file of the Pebble root the served chains verify against (valid while the demo runs). */
  readonly caFile: string;
  readonly durationMs: number;
}

export interface DemoCertificateSummary {
  readonly id: string;
  readonly revision: number;
  readonly serial: string;
  readonly sans: readonly string[];
  readonly publicEndpoint: 'internal' | 'dmz';
  /** Nodes and DMZ instances that serve this revision, by TLS handshake with its first name. */
  readonly servedBy: readonly string[];
}

interface Seen {
  readonly node: string;
  readonly outcome: SyncOutcome;
  readonly at: number;
}

/** A certificate's entry in the demo's configuration. */
function certificateConfig(config: AcmeHaConfig, id: string): CertificateConfig {
  const certificate = config.certificates.find((c) => c.id === id);
  if (!certificate) throw new Error(`the demo configuration has no certificate ${id}`);
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
    // The zero-downtime step needs HAProxy as the balancer and nginx as one of its nodes.
    const withShop = (await installed('haproxy')) && (await installed('nginx'));
    const total = 6 + (options.dmz > 0 ? 1 : 0) + (withShop ? 1 : 0);
    let index = 0;
    const step = (title: string) => {
      signal.throwIfAborted();
      reporter.step(++index, total, title);
      return performance.now();
    };

    // 1. The load balancer, the DMZ instances, the stack and the nodes.
    let t = step(`start the embedded stack and ${options.nodes} nodes`);
    await ensureTools([TOOLS.java, TOOLS.javac, TOOLS.openssl], (line) => reporter.detail(line));
    const kinds = await serverKinds(options.nodes, reporter);
    const ids = kinds.map((_, i) => `node-${i + 1}`);
    const directory = await mkdtemp(join(tmpdir(), 'acme-ha-demo-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const balancer: LoadBalancer = await startLoadBalancer();
    cleanups.push(() => balancer.stop());
    // DMZ instances first: the configuration names their receivers. Nodes 1 and 2 push (two for
    // HA; the second waits a moment and then finds nothing left to do). The first DMZ instance also
    // has a certificate of its own, whose validation requests arrive at its port-80 responder (on
    // its own address, the load balancer's port) and are redirected to the public responder.
    const pushers = ids.slice(0, 2);
    const dmzKind: ServerKind = (await installed('nginx')) ? 'nginx' : 'java';
    const atDmz: Record<string, number> = {};
    const dmzInstances: DemoDmz[] = await Promise.all(
      Array.from({ length: options.dmz }, (_, i) => {
        const id = `dmz-${i + 1}`;
        const ownsSite = i === 0;
        return startDemoDmz({
          id,
          kind: dmzKind,
          directory: join(directory, id),
          certificates: [
            { id: CERTIFICATE, names: NAMES },
            ...(ownsSite ? [{ id: DMZ_CERTIFICATE, names: DMZ_NAMES }] : []),
          ],
          password: PASSWORD,
          pushers,
          ...(ownsSite
            ? {
                responder: {
                  host: DMZ_ADDRESS,
                  port: balancer.port,
                  redirectUrl: `http://${RESPONDER_NAME}:${balancer.port}/`,
                },
                onChallengeRequest: () => {
                  atDmz[id] = (atDmz[id] ?? 0) + 1;
                },
              }
            : {}),
          log: options.log,
        });
      }),
    );
    cleanups.push(() => Promise.all(dmzInstances.map((d) => d.stop())));
    const [siteDmz] = dmzInstances;
    const keystores = [
      { format: 'jks', alias: 'server', password: { env: DEMO_PASSWORD_ENV } },
      { format: 'pem' },
    ];
    // The demo's certificate configuration; its CA is Pebble's, once the stack runs.
    const fleet = configSchema.parse({
      version: 1,
      certificates: [
        { id: CERTIFICATE, domains: NAMES, groups: ['demo'], dmz: dmzInstances.map((d) => d.id), keystores },
        ...(withShop ? [{ id: SHOP_CERTIFICATE, domains: SHOP_NAMES, groups: [SHOP_GROUP], keystores }] : []),
        ...(siteDmz
          ? [
              {
                id: DMZ_CERTIFICATE,
                domains: DMZ_NAMES,
                dmz: [siteDmz.id],
                publicEndpoint: 'dmz',
                keystores,
              },
            ]
          : []),
      ],
      // Every node the fleet should have, and one more whose agent was never installed: the fleet
      // status at the end lists it as silent (never seen), as `acme-ha status --config` would.
      nodes: [
        ...[...ids, SPARE_NODE].map((id) => ({ id, groups: ['demo'] })),
        ...(withShop ? SHOP_NODES.map((n) => ({ id: n.id, groups: [SHOP_GROUP] })) : []),
      ],
      dmz: dmzInstances.flatMap((d) => {
        const [first] = pushers;
        return first ? [{ id: d.id, url: d.peerFor(first, 0).url, pushedBy: pushers }] : [];
      }),
    });
    const stack: LocalStack = await startLocalStack({
      prefix: 'demo',
      // Each node's subscription as the CDK makes it: its groups, its name and its DMZ pushes.
      nodes: [...ids, ...(withShop ? SHOP_NODES.map((n) => n.id) : [])].map((id) => ({
        id,
        filterPolicy: { groups: nodeAudience(fleet, id) },
      })),
      pebble: {
        httpPort: balancer.port,
        hosts: Object.fromEntries(siteDmz ? DMZ_NAMES.map((name) => [name, DMZ_ADDRESS]) : []),
      },
      env: options.env,
      onSetup: (line) => reporter.detail(line),
    });
    cleanups.push(() => stack.stop());
    const config: AcmeHaConfig = {
      ...fleet,
      defaults: { ...fleet.defaults, directory: stack.pebble?.directoryUrl ?? fleet.defaults.directory },
    };
    const clients: AwsClients = createAwsClients(stack.clientConfigs);
    cleanups.push(async () => clients.destroy());
    const caFile = join(directory, 'pebble-root.pem');
    await writeFile(caFile, (await stack.pebble?.rootCertificate()) ?? '');
    reporter.detail(`stack up in ${Math.round(stack.startedInMs)} ms: Pebble ${stack.pebble?.directoryUrl}`);
    const observer = (node: string) => ({
      onSync: (outcome: SyncOutcome) => seen.push({ node, outcome, at: performance.now() }),
    });
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
          observer: observer(id),
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
    let shop: ShopPool | undefined;
    if (withShop) {
      shop = await startShopPool({
        directory: join(directory, 'shop'),
        stack,
        clients,
        password: PASSWORD,
        observer,
        log: options.log,
      });
      cleanups.push(shop.stop);
      await shop.startAgents(true);
      reporter.detail(describePool(shop));
    } else reporter.warn('nginx or haproxy is not installed: the zero-downtime step is left out');
    for (const d of dmzInstances)
      reporter.detail(
        `${d.id}: ${d.kind.padEnd(7)} TLS on 127.0.0.1:${[...d.tlsPorts.values()].join(', ')}, fed by dmz serve (pushed by ${pushers.join(', ')})${d === siteDmz ? `; port-80 responder on ${DMZ_ADDRESS}:${balancer.port}` : ''}`,
      );
    reporter.done(performance.now() - t, 'ready');

    const plane: ControlPlane = createControlPlane(stackControlPlaneSettings(stack), clients, {
      log: silentLogger,
      clock: systemClock,
      env: { [DEMO_PASSWORD_ENV]: PASSWORD },
    });
    const renew = async (force: boolean, certificateId = CERTIFICATE): Promise<Revision> => {
      const result = await runRenewals(config, plane, { force, certificateId });
      const outcome = result.outcomes[0];
      if (outcome?.result !== 'renewed')
        throw new Error(`the renewal did not happen: ${JSON.stringify(outcome)}`);
      const current = (await plane.state.get(certificateId)).current;
      if (!current) throw new Error('no revision published');
      return current;
    };
    const outcomeOf = (node: string, revision: number, results: readonly SyncResult[]) =>
      seen.find(
        (s) => s.node === node && s.outcome.revision === revision && results.includes(s.outcome.result),
      );
    const prober = new TlsProber(5_000);
    const served = async (server: { tlsPort: number }, servername = NAMES[0] ?? '') =>
      (await prober.probe({ host: '127.0.0.1', port: server.tlsPort, servername })).serial;
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

    /**
     * Orders the DMZ instance's own certificate and proves where it went: the CA's requests arrived
     * at the DMZ responder (and were redirected to the nodes' responders), the DMZ instance serves
     * it, and no internal node installed or serves it.
     */
    const issueAtDmz = async (site: DemoDmz): Promise<Revision> => {
      const before = balancer.picks.length;
      const revision = await renew(false, DMZ_CERTIFICATE);
      const published = performance.now();
      const arrived = atDmz[site.id] ?? 0;
      if (arrived === 0) throw new Error(`no validation request reached ${site.id}'s responder`);
      const answered = balancer.picks.slice(before).filter((p) => p.status === 200);
      reporter.detail(
        `validation requests: ${arrived} arrived at ${site.id} (${DMZ_ADDRESS}:${balancer.port}) and were redirected to ${RESPONDER_NAME}, answered by ${answered.map((p) => p.backend).join(', ')}`,
      );
      const port = site.tlsPorts.get(DMZ_CERTIFICATE) ?? 0;
      await waitFor(`${site.id} to serve ${DMZ_CERTIFICATE}`, async () =>
        (await served({ tlsPort: port }, DMZ_NAMES[0]).catch(() => '')) === revision.serial
          ? true
          : undefined,
      );
      reporter.detail(
        `${site.id} serves serial ${revision.serial} after ${Math.round(performance.now() - published)} ms (pushed by ${pushers[0]})`,
      );
      const installedBy = seen.filter((x) => x.outcome.certificateId === DMZ_CERTIFICATE).map((x) => x.node);
      const servingNodes: string[] = [];
      for (const node of nodes)
        if ((await served(node, DMZ_NAMES[0])) === revision.serial) servingNodes.push(node.id);
      if (installedBy.length > 0 || servingNodes.length > 0)
        throw new Error(
          `internal nodes hold ${DMZ_CERTIFICATE}: ${[...installedBy, ...servingNodes].join(', ')}`,
        );
      return revision;
    };

    // 2. Issue through Pebble, HTTP-01 answered by whichever node the balancer picks.
    t = step(`issue a certificate for ${NAMES.length} names through Pebble (HTTP-01)`);
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
    t = step('distribute it to every node');
    await converge(first, t);
    reporter.done(
      performance.now() - t,
      `${nodes.length} node(s) and ${dmzInstances.length} DMZ instance(s) serve it`,
    );

    let siteRevision: Revision | undefined;
    // 4. The DMZ instance's own certificate: validation arrives at the DMZ, installed there only.
    if (siteDmz) {
      t = step(`issue ${siteDmz.id}'s own certificate: HTTP-01 arrives at ${siteDmz.id}, which never orders`);
      const site = await issueAtDmz(siteDmz);
      siteRevision = site;
      reporter.done(
        performance.now() - t,
        `revision ${site.revision} on ${siteDmz.id} only; no internal node installed it`,
      );
    }

    // 5. Renew (forced) and watch the rolling reload, one node at a time, the first as canary.
    t = step('renew (forced) and roll it out, one node at a time');
    const second = await renew(true);
    const published = performance.now();
    const times = await converge(second, published);
    const convergenceMs = Math.max(...times.values());
    reporter.done(performance.now() - t, `converged ${Math.round(convergenceMs)} ms after publication`);

    // 6. A broken reload on the canary: it rolls back and the rollout halts for the others.
    const [canary, ...others] = nodes;
    if (!canary) throw new Error('no nodes');
    t = step(`break ${canary.id}'s reload: it rolls back, the rollout halts`);
    for (const node of others) await node.stopAgent();
    await canary.startAgent({ brokenReload: true });
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
    await canary.startAgent();
    const fourth = await renew(true);
    await converge(fourth, performance.now());
    reporter.done(performance.now() - t, `recovered: revision ${fourth.revision} everywhere`);

    // 7. Zero downtime: clients through a real load balancer while the shop's nodes roll.
    let zeroDowntime: DemoSummary['zeroDowntime'] = null;
    if (shop) {
      const pool = shop;
      t = step('zero downtime: clients through HAProxy while a renewal rolls across Java, nginx, HAProxy');
      const shopApplied = async (revision: number) => {
        for (const node of pool.nodes)
          await waitFor(`${node.id} to apply ${SHOP_CERTIFICATE} revision ${revision}`, () =>
            seen.find(
              (s) =>
                s.node === node.id &&
                s.outcome.certificateId === SHOP_CERTIFICATE &&
                s.outcome.revision === revision &&
                s.outcome.result === 'applied',
            ),
          );
      };
      const issued = await renew(false, SHOP_CERTIFICATE);
      await shopApplied(issued.revision);
      reporter.detail(
        `${SHOP_NAMES[0]}: revision ${issued.revision} on ${pool.nodes.map((n) => n.id).join(', ')}; ${SHOP_CLIENTS} clients verify every chain through the balancer`,
      );
      const ca = [await readFile(caFile, 'utf8')];
      const measure = (drain: boolean) =>
        rollUnderTraffic({
          pool,
          drain,
          ca,
          renew: () => renew(true, SHOP_CERTIFICATE),
          applied: shopApplied,
        });
      const withDrain = await measure(true);
      reporter.detail(`with drain:    ${describeRollout(withDrain)}`);
      const withoutDrain = await measure(false);
      reporter.detail(`without drain: ${describeRollout(withoutDrain)}`);
      zeroDowntime = {
        balancerPort: pool.balancer.port,
        nodes: pool.nodes.map((n) => ({ id: n.id, kind: n.kind, tlsPort: n.tlsPort })),
        withDrain,
        withoutDrain,
      };
      const verdict = `${withDrain.during.failed} failed request(s) with drain, ${withoutDrain.during.failed} without`;
      if (withDrain.during.failed > 0) reporter.warn(verdict);
      reporter.done(performance.now() - t, verdict);
    }

    // 8. The fleet as `acme-ha status` shows it.
    t = step('fleet status');
    // Judged as `acme-ha status --config` judges it: the nodes the demo's configuration declares are
    // listed even if they never reported (the spare node).
    const fleetStores = {
      state: plane.state,
      rollouts: new DynamoRolloutStore(clients.documents, stack.resources.tableName),
      nodes: new DynamoNodeStatusStore(clients.documents, stack.resources.tableName),
    };
    const fleetOf = (certificateId: string) =>
      readFleet(fleetStores, {
        certificateId,
        holders: certificateHolders(config, certificateId),
        thresholds: fleetThresholds(profileOf(config, certificateConfig(config, certificateId))),
        now: new Date(),
      });
    const status: FleetCertificate = await fleetOf(CERTIFICATE);
    reporter.fleet(status);
    if (siteRevision) reporter.fleet(await fleetOf(DMZ_CERTIFICATE));
    const dmz: DemoSummary['dmz'][number][] = [];
    for (const d of dmzInstances) {
      dmz.push({
        id: d.id,
        kind: d.kind,
        tlsPort: d.tlsPort,
        tlsPorts: Object.fromEntries(d.tlsPorts),
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
    /** Who serves `revision` of `certificateId`, asked with its first name: nodes, then DMZ instances. */
    const servedBy = async (certificateId: string, revision: Revision): Promise<string[]> => {
      const servers = [
        ...nodes.map((n) => ({ id: n.id, tlsPort: n.tlsPort })),
        ...dmzInstances.map((d) => ({ id: d.id, tlsPort: d.tlsPorts.get(certificateId) ?? d.tlsPort })),
      ];
      const serving: string[] = [];
      for (const server of servers)
        if ((await served(server, revision.sans[0]).catch(() => '')) === revision.serial)
          serving.push(server.id);
      return serving;
    };
    const certificates: DemoCertificateSummary[] = [];
    const issued: { revision: Revision; publicEndpoint: 'internal' | 'dmz' }[] = [
      { revision: fourth, publicEndpoint: 'internal' },
      ...(siteRevision ? [{ revision: siteRevision, publicEndpoint: 'dmz' as const }] : []),
    ];
    for (const { revision, publicEndpoint } of issued)
      certificates.push({
        id: revision.certificateId,
        revision: revision.revision,
        serial: revision.serial,
        sans: revision.sans,
        publicEndpoint,
        servedBy: await servedBy(revision.certificateId, revision),
      });
    const site = certificates.find((c) => c.id === DMZ_CERTIFICATE);
    const summary: DemoSummary = {
      ok:
        [...nodeSummaries, ...dmz].every((n) => n.servedSerial === fourth.serial) &&
        (!site || site.servedBy.join() === siteDmz?.id) &&
        (zeroDowntime?.withDrain.during.failed ?? 0) === 0,
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
      certificates,
      validation: { requestsByNode: picks, requestsAtDmz: atDmz },
      renewal: { revision: second.revision, convergenceMs: Math.round(convergenceMs) },
      failure: {
        node: canary.id,
        result: failed.outcome.result,
        haltedNodes: halted,
        recoveredRevision: fourth.revision,
      },
      zeroDowntime,
      caFile,
      durationMs: Math.round(performance.now() - started),
    };
    await options.whileRunning?.(summary);
    return summary;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
