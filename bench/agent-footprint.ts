/**
 * Idle agent footprint (issue 9; targets of issues 5 and 16): RSS and CPU of one `agent run` process
 * at idle against the embedded stack, all in the same window: the agent bundle that
 * `npm run package:agent` ships, started as the installed service starts it (the file itself, through
 * its first lines) and by plain `node`; the self-contained archive's program (the same bundle on
 * the Node 24 beside it); and the npm package's CLI (`node bin/acme-ha.js`). Also the
 * AWS requests each makes at idle, counted by HTTP proxies in front of the stack's DynamoDB, S3 and
 * SQS endpoints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EMBEDDED_NODE, packageAgent, packageSelfContained } from '../build/package-agent.ts';
import { RUNTIMES } from '../build/runtimes.ts';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import { fmt, processCpuMs, stats, TICKS_PER_SECOND } from './measure.ts';
import type { BenchSuite } from './suite.ts';
import { type CountingProxy, startCountingProxy } from './support/counting-proxy.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'acme-ha.js');
/** Issue 16's target, 50 MB (10^6 bytes), in the MiB that VmRSS is shown in. */
const TARGET_RSS_MIB = 50e6 / 2 ** 20;
const RECONCILE_SECONDS = 900;
const LONG_POLL_SECONDS = 20;

interface Variant {
  readonly id: 'service' | 'node' | 'cli' | 'self-contained';
  readonly label: string;
  /** The program and its arguments before `agent run`. */
  readonly command: readonly [string, ...string[]];
}

interface Measured {
  readonly id: string;
  readonly label: string;
  rssMiB: number[];
  cpuPercent: number;
  startupCounts: Record<string, number>;
  windowCounts: Record<string, number>;
  windowSeconds: number;
  error?: string;
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v > 0),
  );
}

function merge(proxies: readonly CountingProxy[]): Record<string, number> {
  const all: Record<string, number> = {};
  for (const p of proxies) for (const [k, v] of Object.entries(p.counts())) all[k] = (all[k] ?? 0) + v;
  return all;
}

function describe(counts: Record<string, number>): string {
  const parts = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return parts.length ? parts.map(([k, v]) => `${v} ${k}`).join(', ') : 'none';
}

async function agentConfig(stack: LocalStack, nodeId: string, dir: string, proxies: Record<string, string>) {
  const queue = stack.resources.queues[nodeId];
  if (!queue) throw new Error(`no queue for ${nodeId}`);
  const path = join(dir, nodeId);
  await mkdir(join(path, 'pem'), { recursive: true, mode: 0o700 });
  const file = join(path, 'agent.yaml');
  // JSON is YAML.
  await writeFile(
    file,
    JSON.stringify({
      version: 1,
      node: { id: nodeId, groups: ['web'] },
      aws: {
        region: stack.region,
        endpoints: proxies,
        table: stack.resources.tableName,
        bucket: stack.resources.bucket,
        queueUrl: queue.url,
      },
      stateDirectory: join(path, 'state'),
      reconcileIntervalSeconds: RECONCILE_SECONDS,
      targets: [{ certificateId: 'idle-cert', format: 'pem', path: join(path, 'pem') }],
    }),
  );
  return file;
}

export const agentFootprint: BenchSuite = {
  id: 'agent-footprint',
  title: 'Idle agent footprint (`agent run`): RSS, CPU, AWS requests',
  target: 'the installed agent under 50 MB RSS median (issue 16) and no busy polling (issue 5)',
  async run({ quick }) {
    const windowSeconds = quick ? 20 : 60;
    const stack = await startLocalStack({
      prefix: 'bench-idle',
      nodes: ['idle-service', 'idle-node', 'idle-cli', 'idle-self-contained'],
      pebble: false,
    });
    const dir = await mkdtemp(join(tmpdir(), 'acme-ha-bench-idle-'));
    const children: ChildProcess[] = [];
    const proxies: CountingProxy[] = [];
    const killAll = () => {
      for (const c of children) if (c.pid !== undefined && c.exitCode === null) c.kill('SIGKILL');
    };
    process.once('exit', killAll);
    try {
      // The bundle exactly as `npm run package:agent` makes it, built into a temp directory.
      const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
        version: string;
      };
      let bundle: string | undefined;
      let selfContained: string | undefined;
      let bundleError: string | undefined;
      try {
        await packageAgent(join(dir, 'dist'));
        bundle = join(dir, 'dist', `acme-ha-agent-${version}`, 'acme-ha-agent.mjs');
        const [agentArchive] = await packageSelfContained(join(dir, 'dist'));
        selfContained = join(agentArchive.replace(/\.tar\.gz$/, ''), 'bin', 'acme-ha-agent');
      } catch (error) {
        bundleError = (error as Error).message.split('\n')[0] ?? 'package failed';
      }
      const variants: Variant[] = [
        ...(bundle
          ? [
              {
                id: 'service' as const,
                label: `\`acme-ha-agent.mjs agent run\` (agent ${version} as installed: its first line starts node)`,
                command: [bundle] as const,
              },
              {
                id: 'node' as const,
                label: '`node acme-ha-agent.mjs agent run` (the same, without the launcher)',
                command: [process.execPath, bundle] as const,
              },
            ]
          : []),
        ...(selfContained
          ? [
              {
                id: 'self-contained' as const,
                label: `\`bin/acme-ha-agent agent run\` (the self-contained archive: the same bundle on its own Node ${RUNTIMES[EMBEDDED_NODE].version})`,
                command: [selfContained] as const,
              },
            ]
          : []),
        {
          id: 'cli',
          label: '`node bin/acme-ha.js agent run` (the npm package, built CLI)',
          command: [process.execPath, BIN],
        },
      ];
      const measured: Measured[] = [];
      const runs = await Promise.all(
        variants.map(async (v) => {
          const own = await Promise.all([
            startCountingProxy(stack.endpoints.dynamodb, 'dynamodb'),
            startCountingProxy(stack.endpoints.s3, 'S3'),
            startCountingProxy(stack.endpoints.sqs, 'sqs'),
          ]);
          proxies.push(...own);
          const [dynamodb, s3, sqs] = own;
          const config = await agentConfig(stack, `idle-${v.id}`, dir, {
            dynamodb: dynamodb?.endpoint ?? '',
            s3: s3?.endpoint ?? '',
            sqs: sqs?.endpoint ?? '',
          });
          const [program, ...args] = v.command;
          const child = spawn(program, [...args, 'agent', 'run', '--config', config], {
            env: {
              ...process.env,
              ...stack.env,
              AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          children.push(child);
          let stderr = '';
          child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
            stderr = (stderr + chunk).slice(-2000);
          });
          return { v, child, own, stderr: () => stderr };
        }),
      );
      // Start-up: until each agent has reconciled and sits in its first long poll (bounded).
      const started = performance.now();
      for (const r of runs) {
        while (!(merge(r.own).ReceiveMessage ?? 0)) {
          if (r.child.exitCode !== null) break;
          if (performance.now() - started > 30_000) break;
          await sleep(100);
        }
      }
      await sleep(1_000);
      const before = await Promise.all(
        runs.map(async (r) => ({
          counts: merge(r.own),
          cpuMs:
            r.child.pid !== undefined && r.child.exitCode === null ? processCpuMs(r.child.pid) : Number.NaN,
        })),
      );
      const rss: number[][] = runs.map(() => []);
      const t0 = performance.now();
      for (let s = 0; s < windowSeconds; s++) {
        await sleep(1_000);
        await Promise.all(
          runs.map(async (r, i) => {
            if (r.child.pid !== undefined && r.child.exitCode === null)
              rss[i]?.push(await rssMiB(r.child.pid).catch(() => Number.NaN));
          }),
        );
      }
      const elapsed = (performance.now() - t0) / 1000;
      for (const [i, r] of runs.entries()) {
        const b = before[i];
        const alive = r.child.pid !== undefined && r.child.exitCode === null;
        const after = alive && r.child.pid !== undefined ? processCpuMs(r.child.pid) : Number.NaN;
        const m: Measured = {
          id: r.v.id,
          label: r.v.label,
          rssMiB: (rss[i] ?? []).filter((x) => Number.isFinite(x)),
          cpuPercent: ((after - (b?.cpuMs ?? Number.NaN)) / 1000 / elapsed) * 100,
          startupCounts: b?.counts ?? {},
          windowCounts: diff(merge(r.own), b?.counts ?? {}),
          windowSeconds: elapsed,
          ...(alive
            ? {}
            : { error: `exited with ${r.child.exitCode}: ${r.stderr().trim().split('\n').at(-1) ?? ''}` }),
        };
        measured.push(m);
      }
      // Stop by pid: SIGTERM (the agent's own shutdown), then SIGKILL if it lingers.
      await Promise.all(
        runs.map(async (r) => {
          if (r.child.exitCode !== null) return;
          const exited = new Promise((resolve) => r.child.once('exit', resolve));
          r.child.kill('SIGTERM');
          const timer = setTimeout(() => r.child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        }),
      );
      return summarize(measured, windowSeconds, bundleError);
    } finally {
      killAll();
      process.off('exit', killAll);
      for (const p of proxies) await p.stop().catch(() => undefined);
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

function summarize(measured: readonly Measured[], windowSeconds: number, bundleError: string | undefined) {
  const perHourComputed = 3600 / LONG_POLL_SECONDS + (2 * 3600) / RECONCILE_SECONDS;
  const rows: string[][] = measured.map((m) => {
    const r = m.rssMiB.length ? stats(m.rssMiB) : undefined;
    const windowTotal = sum(m.windowCounts);
    return [
      m.label,
      r ? fmt(r, 'MiB', 1) : 'failed',
      r ? `${Math.max(...m.rssMiB).toFixed(1)} MiB` : '',
      Number.isFinite(m.cpuPercent) ? `${m.cpuPercent.toFixed(2)} %` : '',
      `${describe(m.startupCounts)}`,
      `${describe(m.windowCounts)} → ${((windowTotal / m.windowSeconds) * 3600).toFixed(0)}/h extrapolated`,
      (m.error ?? '').replaceAll('|', '\\|'),
    ];
  });
  if (bundleError)
    rows.push(['bundle', 'not run', '', '', '', '', `npm run package:agent failed: ${bundleError}`]);
  const parts = measured.map((m) => {
    const peak = m.rssMiB.length ? Math.max(...m.rssMiB) : Number.NaN;
    const median = m.rssMiB.length ? stats(m.rssMiB).median : Number.NaN;
    return `${m.id}: ${median.toFixed(1)} MiB median RSS (peak ${peak.toFixed(1)}) — under 50 MB (${TARGET_RSS_MIB.toFixed(1)} MiB) ${median < TARGET_RSS_MIB ? 'met' : `missed by ${(median - TARGET_RSS_MIB).toFixed(1)} MiB`}, CPU ${m.cpuPercent.toFixed(2)} %`;
  });
  const polls = measured.map((m) => m.windowCounts.ReceiveMessage ?? 0);
  const busy = measured.some((m) => sum(m.windowCounts) > Math.ceil(m.windowSeconds / LONG_POLL_SECONDS) + 2);
  return {
    columns: [
      'process',
      'RSS, median (min–max) over the window',
      'RSS peak',
      'CPU (utime+stime / wall)',
      'AWS requests at start-up (reconcile + first poll)',
      `AWS requests in the ${windowSeconds} s idle window`,
      'note',
    ],
    rows,
    verdict:
      `${parts.join('; ')}. ` +
      `${busy ? 'More requests than one long poll per 20 s were seen at idle: check for busy polling. ' : `No busy polling: ${polls.join(' and ')} ReceiveMessage calls in ${windowSeconds} s (one ${LONG_POLL_SECONDS} s long poll at a time) and nothing else. `}` +
      `Computed per node at idle: ${3600 / LONG_POLL_SECONDS} ReceiveMessage + ${3600 / RECONCILE_SECONDS} reconciles per certificate, each 2 GetItem (status and state, as counted at start-up) = ${perHourComputed.toFixed(0)} requests/hour for one certificate.`,
    method:
      `One \`agent run\` process per variant, all at the same time, against the embedded stack without Pebble; each agent's DynamoDB, S3 and SQS endpoints point at its own ` +
      `counting HTTP proxy (bench/support/counting-proxy.ts, by x-amz-target operation) in front of the stack. Config: one PEM target without reload or probe for a certificate with ` +
      `no published revision (a reconcile is the same one GetItem either way), reconcile every ${RECONCILE_SECONDS} s (the default), SQS long poll ${LONG_POLL_SECONDS} s. ` +
      `The window starts 1 s after each agent's first ReceiveMessage (start-up reconcile done) and lasts ${windowSeconds} s: VmRSS from /proc/<pid>/status every second; ` +
      `CPU = Δ(utime+stime) from /proc/<pid>/stat (USER_HZ ${TICKS_PER_SECOND}) / wall time. The agent is built by packageAgent() (what \`npm run package:agent\` runs) into a temp directory; the CLI is dist/ as \`npm run build\` left it. ` +
      `Requests/hour extrapolated from a ${windowSeconds} s window is coarse (${windowSeconds / LONG_POLL_SECONDS} long polls); the computed figure follows from the design.`,
    raw: { windowSeconds, measured, bundleError: bundleError ?? null, computedPerHour: perHourComputed },
  };
}
