/**
 * Challenge responder throughput (issue 9): `wrk` against local/challenge-responder.ts in lookup mode
 * over a DynamoChallengeStore on the embedded stack's DynamoDB (dynalite), and against nginx serving
 * the same token as a static file. 127.0.0.1 only, bounded by wrk's -d and a kill timeout.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createAwsClients } from '../adapters/aws/aws-clients.ts';
import { DynamoChallengeStore } from '../adapters/aws/dynamo-challenge-store.ts';
import { startChallengeResponder } from '../adapters/http/challenge-responder.ts';
import { CHALLENGE_PREFIX } from '../core/challenge/respond.ts';
import { systemClock } from '../core/ports/clock.ts';
import { ensureTools, type Tool } from '../local/prerequisites.ts';
import { startLocalStack } from '../local/stack.ts';
import { fmt, type Stats, stats } from './measure.ts';
import type { BenchSuite } from './suite.ts';
import { startStaticNginx } from './support/static-nginx.ts';

const run = promisify(execFile);
const WRK: Tool = { command: 'wrk', debianPackage: 'wrk' };
const TOKEN = 'bench-token-0123456789abcdefghijklmnopqrstu';
const KEY_AUTHORIZATION = `${TOKEN}.bench-account-thumbprint-0123456789abcdefghij`;

interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us'
    ? n / 1000
    : unit === 'ms'
      ? n
      : unit === 's'
        ? n * 1000
        : unit === 'm'
          ? n * 60_000
          : Number.NaN;
}

function parseWrk(output: string): WrkResult {
  const percentile = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
    return m?.[1] && m[2] ? toMs(m[1], m[2]) : Number.NaN;
  };
  const nonOk = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? Number.NaN),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    requests: Number(/(\d+) requests in/.exec(output)?.[1] ?? Number.NaN),
    errors: nonOk + socketErrors,
  };
}

async function wrk(url: string, seconds: number): Promise<WrkResult> {
  const { stdout } = await run(WRK.command, ['-t1', '-c16', `-d${seconds}s`, '--latency', url], {
    timeout: (seconds + 10) * 1000,
    killSignal: 'SIGKILL',
  });
  return parseWrk(stdout);
}

async function packageVersion(name: string): Promise<string> {
  try {
    return (await run('dpkg-query', ['-W', name])).stdout.trim().split('\t')[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

export const responder: BenchSuite = {
  id: 'responder',
  title: 'Challenge responder: requests/s and latency (wrk, 127.0.0.1)',
  target: 'none set by an issue; compared with nginx serving the same token as a static file (issue 9)',
  async run({ quick }) {
    const seconds = quick ? 3 : 5;
    const runs = quick ? 1 : 3;
    let wrkMissing: string | undefined;
    try {
      await ensureTools([WRK], (line) => console.log(`bench: ${line}`));
    } catch (error) {
      wrkMissing = (error as Error).message.split('\n')[0] ?? 'cannot install wrk';
    }
    if (wrkMissing) {
      return {
        columns: ['case', 'result'],
        rows: [['both cases', `not run: wrk is not available (${wrkMissing.replaceAll('|', '\\|')})`]],
        verdict: `not measured: wrk could not be installed (${wrkMissing}).`,
        method: `wrk (Debian package wrk) via ensureTools; it failed: ${wrkMissing}`,
        raw: { wrkMissing },
      };
    }
    const wrkVersion = await packageVersion('wrk');
    const nginxVersion = await packageVersion('nginx');
    const stack = await startLocalStack({ prefix: 'bench-resp', pebble: false });
    const dir = await mkdtemp(join(tmpdir(), 'acme-ha-bench-resp-'));
    const clients = createAwsClients(stack.clientConfigs);
    const stops: (() => Promise<void>)[] = [];
    try {
      const store = new DynamoChallengeStore(clients.documents, stack.resources.tableName, systemClock);
      await store.put(TOKEN, KEY_AUTHORIZATION, new Date(Date.now() + 3_600_000));
      const ours = await startChallengeResponder({ store });
      stops.push(ours.stop);
      // The same token as a static file; readable by nginx's worker (nobody when we are root).
      const root = join(dir, 'www');
      const challengeDir = join(root, ...CHALLENGE_PREFIX.split('/').filter(Boolean));
      await mkdir(challengeDir, { recursive: true });
      await writeFile(join(challengeDir, TOKEN), KEY_AUTHORIZATION);
      for (const d of [dir, root, join(root, '.well-known'), challengeDir]) await chmod(d, 0o755);
      await chmod(join(challengeDir, TOKEN), 0o644);
      const nginx = await startStaticNginx(join(dir, 'nginx'), root);
      stops.push(nginx.stop);

      const cases = [
        {
          id: 'responder',
          label: 'acme-ha responder, lookup mode (DynamoChallengeStore → dynalite, no cache)',
          port: ours.port,
        },
        { id: 'nginx', label: `nginx ${nginxVersion}, static file (1 worker)`, port: nginx.port },
      ] as const;
      const path = `${CHALLENGE_PREFIX}${TOKEN}`;
      // Both answer the token before anything is measured (and warm up).
      for (const c of cases) {
        for (let i = 0; i < 20; i++) {
          const response = await fetch(`http://127.0.0.1:${c.port}${path}`);
          const body = await response.text();
          if (response.status !== 200 || body.trim() !== KEY_AUTHORIZATION)
            throw new Error(`${c.id} answered ${response.status} ${body.slice(0, 80)}`);
        }
      }
      const samples = new Map<string, WrkResult[]>(cases.map((c) => [c.id, []]));
      for (let i = 0; i < runs; i++) {
        for (const c of cases)
          samples.get(c.id)?.push(await wrk(`http://127.0.0.1:${c.port}${path}`, seconds));
      }
      const summary = cases.map((c) => {
        const list = samples.get(c.id) ?? [];
        return {
          ...c,
          rps: stats(list.map((s) => s.requestsPerSecond)),
          p50: stats(list.map((s) => s.p50Ms)),
          p99: stats(list.map((s) => s.p99Ms)),
          errors: list.reduce((sum, s) => sum + s.errors, 0),
          requests: list.reduce((sum, s) => sum + s.requests, 0),
        };
      });
      const [a, b] = summary;
      const rows = summary.map((s) => [
        s.label,
        fmt(s.rps, 'req/s', 0),
        fmt(s.p50, 'ms', 2),
        fmt(s.p99, 'ms', 2),
        `${s.requests} requests, ${s.errors} errors/non-2xx`,
      ]);
      const ratio = (x: Stats | undefined, y: Stats | undefined) =>
        x && y ? (x.median / y.median).toFixed(1) : 'n/a';
      return {
        columns: ['case', 'requests/s, median (min–max)', 'p50 latency', 'p99 latency', 'note'],
        rows,
        verdict:
          `No target is set for this row. nginx serves the static token at ${ratio(b?.rps, a?.rps)}× the responder's requests/s; ` +
          `the responder's p99 is ${ratio(a?.p99, b?.p99)}× nginx's. The responder has no caching today: every request is a ` +
          `consistent-read GetItem, here against dynalite in the same Node process (in AWS it is a network round trip to DynamoDB instead), ` +
          `so these figures bound what lookup mode does with a table on the same machine, not with a cache.`,
        method:
          `wrk ${wrkVersion} -t1 -c16 -d${seconds}s --latency on 127.0.0.1, ${runs} run${runs > 1 ? 's' : ''} per case alternating, after 20 checked GETs per case ` +
          `(status 200 and the key authorization as body). Responder: startChallengeResponder({ store: DynamoChallengeStore }) in the bench process over the embedded stack's ` +
          `dynalite (also in the bench process, so the responder, its SDK client and the table share one Node event loop; wrk has the other core). ` +
          `nginx: bench/support/static-nginx.ts, plain HTTP, worker_processes 1, access_log off, keepalive_requests 1000000, the token as a file under /.well-known/acme-challenge/. ` +
          `Errors are wrk's non-2xx responses plus socket errors.`,
        raw: { seconds, runs, wrkVersion, nginxVersion, samples: Object.fromEntries(samples) },
      };
    } finally {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      clients.destroy();
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
