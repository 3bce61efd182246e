/**
 * Convergence (issue 9, targets of issue 5): from the SNS publish of a new revision to every agent
 * serving it, confirmed by a TLS probe, for 1, 5, 20 (and, in full mode when time allows, 50)
 * agents in this process (createAgent + runAgent, the production wiring) against the embedded stack.
 * Each agent has its own cheap TLS target (bench/support/reloadable-tls-server.ts, a stand-in). Beside
 * it, in the same run, the floor: one S3 GET + atomic write + reload + probe for one node, by hand.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAwsClients } from '../adapters/aws/aws-clients.ts';
import { KeystoreFileSink } from '../adapters/fs/keystore-file-sink.ts';
import { TlsProber } from '../adapters/probe/tls-prober.ts';
import { type AgentRuntime, createAgent } from '../agent/compose-agent.ts';
import { runAgent } from '../core/agent/agent-loop.ts';
import type { SyncOutcome } from '../core/agent/sync/outcome.ts';
import { agentConfigSchema } from '../core/config/agent-config.ts';
import { type AcmeHaConfig, configSchema } from '../core/config/certificate-config.ts';
import { PEM_FILES } from '../core/keystore/keystore.ts';
import { silentLogger } from '../core/ports/logger.ts';
import type { RenewerDeps } from '../core/renewal/renew-certificate.ts';
import { runRenewals } from '../core/renewal/run-renewals.ts';
import { createControlPlane } from '../functions/commons/compose-control-plane.ts';
import { stackControlPlaneSettings } from '../local/control-plane-settings.ts';
import { selfSignedOrIssued } from '../local/pebble-listener-certificate.ts';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import { fmt, stats } from './measure.ts';
import type { BenchSuite } from './suite.ts';
import { type ReloadableTlsServer, startReloadableTlsServer } from './support/reloadable-tls-server.ts';

const TARGET_MS = 1000;
const TARGET_RATIO = 3;
/** One convergence that takes longer than this is a hang, not a figure. */
const WAIT_MS = 60_000;
/** Full mode: no 50-agent row if the suite has already used this much time. */
const FULL_BUDGET_FOR_50_MS = 240_000;
const POLL_MS = 50;

interface Node {
  readonly id: string;
  readonly server: ReloadableTlsServer;
  readonly runtime: AgentRuntime;
  readonly controller: AbortController;
  readonly loop: Promise<void>;
}

interface RowResult {
  readonly agents: number;
  readonly samples: number[];
  readonly floor: number[];
  readonly ratio: number[];
  readonly canaryMs: number[];
  error?: string;
}

function domainFor(n: number): string {
  return `conv-n${n}.bench.acme-ha.test`;
}

function certificateConfig(stack: LocalStack, counts: readonly number[]): AcmeHaConfig {
  const directory = stack.pebble?.directoryUrl;
  if (!directory) throw new Error('the stack runs without Pebble');
  return configSchema.parse({
    version: 1,
    defaults: { directory },
    certificates: counts.map((n) => ({
      id: `conv-n${n}`,
      domains: [domainFor(n)],
      groups: ['web'],
      keystores: [{ format: 'pem' }],
      // Every agent of the row at once: the rollout's terms come with the revision.
      rollout: { maxParallel: n },
    })),
  });
}

/** Resolves when `done()` holds, checking on every observer call; rejects after `ms`. */
class Waiter {
  private pending: { check: () => boolean; resolve: () => void } | undefined;
  notify(): void {
    if (this.pending?.check()) {
      this.pending.resolve();
      this.pending = undefined;
    }
  }
  until(check: () => boolean, ms: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new Error(`${what}: not within ${ms} ms`));
      }, ms);
      this.pending = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }
}

async function probeUntil(port: number, servername: string, serial: string, deadlineMs: number) {
  const prober = new TlsProber(2_000);
  const end = performance.now() + deadlineMs;
  for (;;) {
    const served = await prober.probe({ host: '127.0.0.1', port, servername }).catch(() => undefined);
    if (served?.serial === serial) return;
    if (performance.now() > end) throw new Error(`127.0.0.1:${port} does not serve ${serial}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const convergence: BenchSuite = {
  id: 'convergence',
  title: 'Convergence: SNS publish → every agent serving the new certificate (probe-confirmed)',
  target:
    'with 20 agents, median under 1 s and within 3× the floor (one S3 GET + atomic write + reload + probe for a single node) (issue 5)',
  chart(raw) {
    const results = (
      raw as {
        results?: Record<string, { time?: { median: number }; floor?: { median: number } } | undefined>;
      }
    ).results;
    if (!results) return null;
    const rows = Object.entries(results)
      .map(([key, r]) => [Number(key.replace('agents-', '')), r?.time?.median, r?.floor?.median] as const)
      .filter((row): row is readonly [number, number, number] => row[1] !== undefined && row[2] !== undefined)
      .sort((a, b) => a[0] - b[0]);
    return {
      title: 'Publish → every agent serving the new certificate',
      xLabel: 'agents',
      yLabel: 'milliseconds (median)',
      series: [
        { name: 'all agents converged', points: rows.map(([n, t]) => [n, t] as const) },
        { name: 'floor: one node, no agent', points: rows.map(([n, , f]) => [n, f] as const) },
      ],
    };
  },
  async run({ quick }) {
    const suiteStart = performance.now();
    const runs = quick ? 2 : 5;
    const counts = quick ? [1, 5] : [1, 5, 20, 50];
    // Fresh queues per row, each receiving only its row's certificate: an agent stopped mid long
    // poll can leave that poll registered in local-aws-sqs, which would swallow the next row's event.
    const rowNodes = (n: number) => Array.from({ length: n }, (_, i) => `c${n}-${i + 1}`);
    const stack = await startLocalStack({
      prefix: 'bench-conv',
      nodes: counts.flatMap((n) =>
        rowNodes(n).map((id) => ({ id, filterPolicy: { certificateId: [`conv-n${n}`] } })),
      ),
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1' },
    });
    const dir = await mkdtemp(join(tmpdir(), 'acme-ha-bench-conv-'));
    const clients = createAwsClients(stack.clientConfigs);
    const nodes: Node[] = [];
    const stopNodes = async () => {
      for (const n of nodes) n.controller.abort();
      await Promise.allSettled(nodes.map((n) => n.loop));
      for (const n of nodes) {
        n.runtime.close();
        await n.server.stop().catch(() => undefined);
      }
      nodes.length = 0;
    };
    let floorServer: ReloadableTlsServer | undefined;
    const results: RowResult[] = [];
    const skipped: string[] = [];
    try {
      const plane = createControlPlane(stackControlPlaneSettings(stack), clients, {
        log: silentLogger,
        clock: { now: () => new Date() },
      });
      let publishedAt = 0;
      let publishedRevision = 0;
      const deps: RenewerDeps = {
        ...plane,
        events: {
          publish: async (event) => {
            await plane.events.publish(event);
            if (event.type === 'certificate.revision_published') {
              publishedAt = performance.now();
              publishedRevision = event.revision;
            }
          },
        },
      };
      const config = certificateConfig(stack, counts);
      // Bootstrap material every server starts with (self-signed), as one combined PEM.
      const boot = { cert: join(dir, 'boot-cert.pem'), key: join(dir, 'boot-key.pem') };
      await selfSignedOrIssued(boot, '/CN=bootstrap', ['subjectAltName=DNS:bootstrap.bench.acme-ha.test']);
      const bootstrapPem = (await readFile(boot.cert, 'utf8')) + (await readFile(boot.key, 'utf8'));
      const pemDir = async (name: string) => {
        const path = join(dir, name);
        await mkdir(path, { recursive: true, mode: 0o700 });
        await writeFile(join(path, PEM_FILES.combined), bootstrapPem, { mode: 0o600 });
        return path;
      };
      const floorDir = await pemDir('floor');
      floorServer = await startReloadableTlsServer(join(floorDir, PEM_FILES.combined));
      const sink = new KeystoreFileSink();

      const renew = async (
        certificateId: string,
      ): Promise<{ revision: number; at: number; returned: number }> => {
        publishedAt = 0;
        const result = await runRenewals(config, deps, { force: true, certificateId });
        const returned = performance.now();
        const bad = result.outcomes.filter((o) => o.result !== 'renewed');
        if (bad.length > 0 || publishedAt === 0)
          throw new Error(`renewal did not publish: ${JSON.stringify(bad).slice(0, 200)}`);
        return { revision: publishedRevision, at: publishedAt, returned };
      };

      for (const count of counts) {
        if (count === 50 && performance.now() - suiteStart > FULL_BUDGET_FOR_50_MS) {
          skipped.push(
            `50 agents skipped: the suite had used ${((performance.now() - suiteStart) / 1000).toFixed(0)} s`,
          );
          continue;
        }
        const certificateId = `conv-n${count}`;
        const domain = domainFor(count);
        const row: RowResult = { agents: count, samples: [], floor: [], ratio: [], canaryMs: [] };
        results.push(row);
        const applied = new Map<string, Map<number, number>>();
        const reconciled = new Set<string>();
        const waiter = new Waiter();
        try {
          for (const id of rowNodes(count)) {
            const path = await pemDir(`${certificateId}-${id}`);
            const server = await startReloadableTlsServer(join(path, PEM_FILES.combined));
            const queue = stack.resources.queues[id];
            if (!queue) throw new Error(`no queue for ${id}`);
            const agentConfig = agentConfigSchema.parse({
              version: 1,
              node: { id, groups: ['web'] },
              aws: {
                region: stack.region,
                table: stack.resources.tableName,
                bucket: stack.resources.bucket,
                queueUrl: queue.url,
              },
              stateDirectory: join(path, 'state'),
              reconcileIntervalSeconds: 3600,
              rollout: { probeTimeoutSeconds: 5 },
              targets: [
                {
                  certificateId,
                  format: 'pem',
                  path,
                  files: [PEM_FILES.combined],
                  reload: { http: { url: server.reloadUrl, method: 'POST' }, timeoutSeconds: 10 },
                  probe: [{ port: server.tlsPort, sni: domain }],
                },
              ],
            });
            const mine = new Map<number, number>();
            applied.set(id, mine);
            const runtime = await createAgent(agentConfig, {
              log: silentLogger,
              clientConfigs: stack.clientConfigs,
              pollMs: POLL_MS,
              observer: {
                onSync: (outcome: SyncOutcome, trigger) => {
                  if (trigger === 'reconcile') reconciled.add(id);
                  if (outcome.result === 'applied' && outcome.revision !== null)
                    mine.set(outcome.revision, performance.now());
                  waiter.notify();
                },
              },
            });
            const controller = new AbortController();
            nodes.push({
              id,
              server,
              runtime,
              controller,
              loop: runAgent(runtime.deps, runtime.options, controller.signal),
            });
          }
          await waiter.until(() => reconciled.size === count, WAIT_MS, 'first reconcile');
          const allApplied = (revision: number) => () => [...applied.values()].every((m) => m.has(revision));
          // Warm-up (unmeasured): the first revision, from the bootstrap certificate.
          const first = await renew(certificateId);
          await waiter.until(allApplied(first.revision), WAIT_MS, 'warm-up convergence');
          for (let i = 0; i < runs; i++) {
            const { revision, at } = await renew(certificateId);
            await waiter.until(allApplied(revision), WAIT_MS, `run ${i + 1} convergence`);
            const times = [...applied.values()].map((m) => m.get(revision) ?? Number.NaN);
            const last = Math.max(...times);
            const record = await plane.state.getRevision(certificateId, revision);
            if (!record) throw new Error(`revision ${revision} not found`);
            // Probe-confirmed: every target serves the revision's serial now.
            await Promise.all(nodes.map((n) => probeUntil(n.server.tlsPort, domain, record.serial, 0)));
            row.samples.push(last - at);
            row.canaryMs.push(Math.min(...times) - at);
            // The floor, same run, same revision: one S3 GET + atomic write + reload + probe.
            const object = record.objects.find((o) => o.format === 'pem' && o.name === PEM_FILES.combined);
            if (!object) throw new Error('the revision has no combined.pem');
            const t0 = performance.now();
            const bytes = await plane.keystores.get(object.key);
            await sink.write({ path: join(floorDir, PEM_FILES.combined), bytes, mode: 0o600 });
            const reload = await fetch(floorServer.reloadUrl, { method: 'POST' });
            if (reload.status !== 204) throw new Error(`floor reload answered ${reload.status}`);
            await probeUntil(floorServer.tlsPort, domain, record.serial, 5_000);
            const floor = performance.now() - t0;
            row.floor.push(floor);
            row.ratio.push((last - at) / floor);
          }
        } catch (error) {
          row.error = (error as Error).message.split('\n')[0] ?? String(error);
        } finally {
          await stopNodes();
        }
      }
    } finally {
      await stopNodes();
      await floorServer?.stop().catch(() => undefined);
      clients.destroy();
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
    return summarize(results, skipped, runs, quick);
  },
};

function summarize(results: readonly RowResult[], skipped: readonly string[], runs: number, quick: boolean) {
  const rows: string[][] = [];
  const raw: Record<string, unknown> = {};
  for (const r of results) {
    const time = r.samples.length ? stats(r.samples) : undefined;
    const floor = r.floor.length ? stats(r.floor) : undefined;
    const ratio = r.ratio.length ? stats(r.ratio) : undefined;
    const canary = r.canaryMs.length ? stats(r.canaryMs) : undefined;
    raw[`agents-${r.agents}`] = {
      time,
      floor,
      ratio,
      canary,
      samples: r.samples,
      floorSamples: r.floor,
      error: r.error ?? null,
    };
    rows.push([
      `${r.agents} agent${r.agents > 1 ? 's' : ''} (maxParallel ${r.agents})`,
      time ? fmt(time, 'ms', 0) : 'failed',
      canary ? fmt(canary, 'ms', 0) : '',
      floor ? fmt(floor, 'ms', 1) : '',
      ratio ? `${ratio.median.toFixed(1)}× (${ratio.min.toFixed(1)}–${ratio.max.toFixed(1)})` : '',
      (r.error ?? '').replaceAll('|', '\\|'),
    ]);
  }
  for (const s of skipped) rows.push([s, '', '', '', '', '']);
  const twenty = results.find((r) => r.agents === 20);
  let verdict: string;
  if (!twenty || twenty.samples.length === 0) {
    const largest = [...results].reverse().find((r) => r.samples.length > 0);
    const l = largest ? stats(largest.samples) : undefined;
    const f = largest ? stats(largest.floor) : undefined;
    verdict =
      `Not judged: no 20-agent figure in this run${quick ? ' (`--quick` measures 1 and 5 agents only)' : twenty?.error ? ` (${twenty.error})` : ''}. ` +
      (largest && l && f
        ? `With ${largest.agents} agents convergence takes ${l.median.toFixed(0)} ms median, ${(l.median / f.median).toFixed(1)}× the ${f.median.toFixed(0)} ms floor.`
        : 'No row produced a figure.');
  } else {
    const t = stats(twenty.samples);
    const f = stats(twenty.floor);
    const ratio = t.median / f.median;
    verdict =
      `20 agents converge in ${t.median.toFixed(0)} ms median — under 1 s ${t.median < TARGET_MS ? `met (${(TARGET_MS - t.median).toFixed(0)} ms to spare)` : `missed by ${(t.median - TARGET_MS).toFixed(0)} ms`}; ` +
      `${ratio.toFixed(1)}× the ${f.median.toFixed(0)} ms floor (ratio of the medians) — within 3× ${ratio <= TARGET_RATIO ? 'met' : `missed (3× would be ${(TARGET_RATIO * f.median).toFixed(0)} ms)`}.`;
  }
  return {
    columns: [
      'agents',
      'publish → last agent applied, median (min–max)',
      'publish → first agent (the canary) applied',
      'floor: S3 GET + atomic write + reload + probe, one node',
      'ratio to the floor (per run)',
      'note',
    ],
    rows,
    verdict,
    method:
      `Embedded stack (Pebble with PEBBLE_VA_NOSLEEP=1, dynalite, s3rver, local-aws-sqs, the SNS stand-in), one queue per node and row, subscribed with a filter policy on its row's certificate. ` +
      `Agents run in the bench process with the production wiring (createAgent + runAgent, pollMs ${POLL_MS}, reconcile every 3600 s so only the event drives them), ` +
      `rollout.maxParallel = number of agents, per certificate in the certificate configuration (the default of 1 serialises by design), probeTimeoutSeconds 5. ` +
      `Each agent has its own TLS target: a benchmark stand-in (bench/support/reloadable-tls-server.ts), a Node TLS server in the bench process per agent ` +
      `serving one combined.pem and swapping it on \`POST /reload\` (setSecureContext) — chosen over nginx so 20–50 targets stay affordable on 2 cores; ` +
      `the agent target installs combined.pem, reload = that HTTP call, probe = its TLS port. Per row: one unmeasured renewal (bootstrap → revision 1), then ` +
      `${runs} forced renewals (runRenewals in process, Pebble issuance); the clock starts when the SNS Publish call returns (the renewer's publisher is wrapped to timestamp it) ` +
      `and stops at the last agent's \`applied\` outcome seen by its observer; then every target is probed and must serve the revision's serial. ` +
      `The agent's own rules are inside the figure: the first node is the canary and the others wait until it has promoted the rollout, ` +
      `each node downloads fullchain, privkey and combined (3 S3 GETs) and verifies them, and its probe wants the new serial on 3 consecutive handshakes ${POLL_MS} ms apart. ` +
      `Everything but Pebble shares the bench's one Node process and event loop on this 2-core machine (the agents, their targets, dynalite, s3rver, SQS and SNS), so N agents here contend for one core where N real nodes would not. ` +
      `Floor, measured in the same run right after each convergence, on the same revision: one S3 GET of combined.pem, KeystoreFileSink.write (backup link + atomic write + fsyncs), ` +
      `POST /reload to its own stand-in server, TLS probes until the new serial shows once. ` +
      `${quick ? '`--quick`: 1 and 5 agents, 2 runs each.' : `Full: 1, 5, 20 and 50 agents (50 only if the suite has used under ${FULL_BUDGET_FOR_50_MS / 1000} s), ${runs} runs each.`}`,
    raw: { runs, results: raw, skipped },
  };
}
