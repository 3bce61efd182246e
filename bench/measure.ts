import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

export interface CommandOptions {
  /** Kill the whole command (its process group) after this long and reject. @default 120000 */
  readonly timeoutMs?: number;
  readonly cwd?: string;
}

/** A measured command that exited non-zero, timed out or could not start. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/**
 * Wall time (ms) and peak RSS (KiB, from GNU time) of a whole command. The command runs in its own
 * process group, so that a timeout (or this process exiting) stops GNU time and the command under it.
 * @throws CommandFailedError on a non-zero exit or a timeout, with the command's output
 */
export function timeCommand(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: CommandOptions = {},
): Promise<{ ms: number; peakRssKiB: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_RSS_KIB=%M', command, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
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
    let timedOut = false;
    const timeoutMs = options.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      process.off('exit', killGroup);
      reject(new CommandFailedError(`cannot run ${command}: ${error.message}`, stdout, stderr));
    });
    child.once('close', (code, signal) => {
      const ms = performance.now() - start;
      clearTimeout(timer);
      process.off('exit', killGroup);
      const peak = Number(/PEAK_RSS_KIB=(\d+)/.exec(stderr)?.[1] ?? Number.NaN);
      const output = stderr.replace(/^.*PEAK_RSS_KIB=\d+\s*$/m, '');
      if (timedOut) {
        reject(new CommandFailedError(`${command} timed out after ${timeoutMs} ms`, stdout, output));
      } else if (code !== 0) {
        reject(new CommandFailedError(`${command} exited with ${code ?? signal}`, stdout, output));
      } else {
        resolve({ ms, peakRssKiB: peak, stdout, stderr: output });
      }
    });
  });
}

export function fmt(s: Stats, unit = 'ms', digits = 1): string {
  return `${s.median.toFixed(digits)} ${unit} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)}, n=${s.runs})`;
}

/** The machine's CPU time so far, from /proc/stat's first line (every core), in clock ticks. */
export function machineCpuTicks(): { readonly busy: number; readonly total: number } {
  const [, ...fields] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const ticks = fields.map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  // idle and iowait (the 4th and 5th fields) are the time no process ran.
  return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
}

/** The share of the machine's CPU (all cores) used between two readings of {@link machineCpuTicks}. */
export function busyShare(
  before: ReturnType<typeof machineCpuTicks>,
  after: ReturnType<typeof machineCpuTicks>,
): number {
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
}

/** Linux clock ticks per second (USER_HZ), the unit of /proc times. */
export const TICKS_PER_SECOND = 100;

/** CPU time process `pid` has used so far (user + system), in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") "; utime and stime are
  // fields 14 and 15 of the whole line: 12 and 13 after the name.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
}
