/**
 * Embedded stack start-up (issue 3: up in under 2 s, Pebble included). Starts and stops the whole
 * stack (one node queue pair) in this process N times after one unmeasured warm-up, and times the
 * cold `acme-ha local up --json` process until its JSON line, then its stop after SIGINT.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type StackComponent, type StackProgress, startLocalStack } from '../local/stack.ts';
import { fmt, type Stats, stats } from './measure.ts';
import type { BenchSuite } from './suite.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'acme-ha.js');
const TARGET_MS = 2000;
const COMPONENTS: readonly StackComponent[] = [
  'dns',
  'pebble',
  'dynamodb',
  's3',
  'sqs',
  'sns',
  'resources',
  'responder',
];

interface Sample {
  readonly startMs: number;
  readonly stopMs: number;
  readonly components: Partial<Record<StackComponent, number>>;
}

async function once(): Promise<Sample> {
  const components: Partial<Record<StackComponent, number>> = {};
  const onProgress = (event: StackProgress) => {
    if (event.phase === 'ready' && event.ms !== undefined) components[event.component] = event.ms;
  };
  const started = performance.now();
  const stack = await startLocalStack({ nodes: ['node-1'], prefix: 'bench-start', onProgress });
  const startMs = performance.now() - started;
  const stopping = performance.now();
  await stack.stop();
  return { startMs, stopMs: performance.now() - stopping, components };
}

interface LocalUpSample {
  /** From spawning the process to its complete JSON line on stdout. */
  readonly toJsonMs: number;
  /** startedInMs as the process reports it (the stack alone, without Node/tsx start-up). */
  readonly reportedStartMs: number;
  /** From SIGINT to the process exiting (every server and Pebble stopped). */
  readonly stopMs: number;
  readonly exitCode: number | null;
}

/** One cold `acme-ha local up --json`, stopped with SIGINT by its pid. */
function localUpOnce(timeoutMs = 30_000): Promise<LocalUpSample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Its own process group: if it hangs, the group (node and its Pebble) is killed by pid.
    const child = spawn(process.execPath, [BIN, 'local', 'up', '--json', '--prefix', 'bench-up'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const { pid } = child;
    const killGroup = () => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    process.once('exit', killGroup);
    let stdout = '';
    let stderr = '';
    let toJsonMs: number | undefined;
    let reportedStartMs = Number.NaN;
    let interruptedAt: number | undefined;
    let failure: Error | undefined;
    const timer = setTimeout(() => {
      failure = new Error(`local up did not answer within ${timeoutMs} ms: ${stderr.trim().slice(-300)}`);
      killGroup();
    }, timeoutMs);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (toJsonMs !== undefined || newline < 0) return;
      toJsonMs = performance.now() - started;
      try {
        const summary = JSON.parse(stdout.slice(0, newline)) as { startedInMs?: unknown };
        reportedStartMs = typeof summary.startedInMs === 'number' ? summary.startedInMs : Number.NaN;
      } catch (error) {
        failure = new Error(`local up printed no JSON: ${(error as Error).message}`);
      }
      interruptedAt = performance.now();
      child.kill('SIGINT');
    });
    child.once('error', (error) => {
      failure ??= error;
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      process.off('exit', killGroup);
      if (failure) return reject(failure);
      if (toJsonMs === undefined || interruptedAt === undefined) {
        return reject(
          new Error(`local up exited with ${code} before printing: ${stderr.trim().slice(-300)}`),
        );
      }
      resolve({ toJsonMs, reportedStartMs, stopMs: performance.now() - interruptedAt, exitCode: code });
    });
  });
}

export const stackStart: BenchSuite = {
  id: 'stack-start',
  title: 'Embedded stack start (Pebble included)',
  target: 'under 2 s (issue 3)',
  async run({ quick }) {
    const runs = quick ? 3 : 7;
    const processRuns = quick ? 2 : 5;
    // The first start pays for module loading and the one-time checks (ensureTools).
    await once();
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await once());
    const start = stats(samples.map((s) => s.startMs));
    const stop = stats(samples.map((s) => s.stopMs));
    const components = Object.fromEntries(
      COMPONENTS.flatMap((c) => {
        const values = samples.flatMap((s) => (s.components[c] === undefined ? [] : [s.components[c]]));
        return values.length ? [[c, stats(values)]] : [];
      }),
    ) as Partial<Record<StackComponent, Stats>>;

    const localUp: LocalUpSample[] = [];
    let localUpError: string | undefined;
    try {
      for (let i = 0; i < processRuns; i++) localUp.push(await localUpOnce());
    } catch (error) {
      localUpError = (error as Error).message.split('\n')[0] ?? 'failed';
    }
    const upJson = localUp.length ? stats(localUp.map((s) => s.toJsonMs)) : undefined;
    const upReported = localUp.length ? stats(localUp.map((s) => s.reportedStartMs)) : undefined;
    const upStop = localUp.length ? stats(localUp.map((s) => s.stopMs)) : undefined;

    const rows: string[][] = [
      ['startLocalStack, whole stack (warm process)', fmt(start, 'ms', 0), ''],
      ['stack.stop()', fmt(stop, 'ms', 0), ''],
      ...Object.entries(components).map(([c, s]) => [
        `  ${c} ready`,
        fmt(s, 'ms', 0),
        c === 'responder'
          ? 'after dynamodb'
          : c === 'pebble'
            ? 'after dns; includes its listener certificate'
            : c === 'sns'
              ? 'after sqs'
              : c === 'resources'
                ? 'after dynamodb, s3, sqs, sns'
                : 'in parallel',
      ]),
    ];
    if (upJson && upReported && upStop) {
      rows.push(
        [
          '`acme-ha local up --json`, cold process: spawn → JSON line',
          fmt(upJson, 'ms', 0),
          `of which the stack itself (its startedInMs): ${upReported.median.toFixed(0)} ms`,
        ],
        [
          '`acme-ha local up`: SIGINT → process exited',
          fmt(upStop, 'ms', 0),
          'every server and Pebble stopped',
        ],
      );
    } else {
      rows.push(['`acme-ha local up --json`, cold process', 'failed', localUpError ?? 'unknown']);
    }
    const met = start.median < TARGET_MS;
    const cold =
      upJson && upReported
        ? ` A cold \`acme-ha local up --json\` prints its JSON after ${upJson.median.toFixed(0)} ms ` +
          `(${upJson.median < TARGET_MS ? 'also' : 'not'} under 2 s): ${upReported.median.toFixed(0)} ms for the stack, ` +
          `the other ${(upJson.median - upReported.median).toFixed(0)} ms are Node and tsx start-up and module loading.`
        : ` The cold \`local up\` measurement failed: ${localUpError ?? 'unknown'}.`;
    const slowest = Object.entries(components).sort((a, b) => b[1].median - a[1].median)[0];
    return {
      columns: ['case', 'wall time, median (min–max)', 'note'],
      rows,
      verdict:
        `The stack is up in ${start.median.toFixed(0)} ms median (${start.min.toFixed(0)}–${start.max.toFixed(0)} ms) ` +
        `in a warm process — target under 2 s ${met ? `met with ${(TARGET_MS - start.median).toFixed(0)} ms to spare` : `missed by ${(start.median - TARGET_MS).toFixed(0)} ms`}; ` +
        `the slowest part is ${slowest ? `${slowest[0]} (${slowest[1].median.toFixed(0)} ms)` : 'unknown'}.${cold}`,
      method:
        `${runs} starts and stops of the whole stack (one node queue pair) in the bench process after one unmeasured warm-up; ` +
        `component times are each part's own ready time (parts start in parallel, so they do not add up); ` +
        `${processRuns} cold \`node bin/acme-ha.js local up --json\` processes, each stopped with SIGINT by pid after its JSON line.`,
      raw: { runs, start, stop, components, samples, localUp, localUpError: localUpError ?? null },
    };
  },
};
