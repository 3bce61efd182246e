import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0, runs: sorted.length };
}

/** Milliseconds of `runs` calls of `fn`, after `warmup` unmeasured ones. */
export async function timeIt(fn: () => unknown, runs: number, warmup = 1): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return stats(samples);
}

/** Wall time (ms) and peak RSS (KiB, from GNU time) of a whole command. */
export async function timeCommand(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ ms: number; peakRssKiB: number }> {
  const start = performance.now();
  const { stderr } = await run('/usr/bin/time', ['-f', 'PEAK_RSS_KIB=%M', command, ...args], {
    env: { ...process.env, ...env },
  });
  const ms = performance.now() - start;
  const peak = Number(/PEAK_RSS_KIB=(\d+)/.exec(stderr)?.[1] ?? Number.NaN);
  return { ms, peakRssKiB: peak };
}

export function fmt(s: Stats, unit = 'ms', digits = 1): string {
  return `${s.median.toFixed(digits)} ${unit} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)}, n=${s.runs})`;
}
