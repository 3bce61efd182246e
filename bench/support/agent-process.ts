/**
 * BENCHMARK HELPER: `acme-ha agent run` in a process of its own (the built CLI), with the times of
 * its sync milestones read from its JSON log lines (`event received`, `slot acquired`, `reload
 * finished`), as epoch milliseconds. Stopped with SIGTERM by pid, SIGKILL if it lingers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'acme-ha.js');

/** When this agent reached each milestone of a revision (Date.now() values, from its log). */
export interface Milestones {
  received?: number;
  slot?: number;
  finished?: number;
}

export interface AgentProcess {
  readonly pid: number | undefined;
  /** Resolves at the `agent started` line; rejects if the process exits first. */
  readonly started: Promise<void>;
  milestones(revision: number): Milestones;
  /** Called on every milestone line (to wake a waiter). */
  onMilestone: () => void;
  stop(): Promise<void>;
}

const MILESTONES: Readonly<Record<string, keyof Milestones>> = {
  'event received': 'received',
  'slot acquired': 'slot',
  'reload finished': 'finished',
};

export function startAgentProcess(config: string, env: NodeJS.ProcessEnv): AgentProcess {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'agent', 'run', '--config', config], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const byRevision = new Map<number, Milestones>();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  const agent: AgentProcess = {
    pid: child.pid,
    started: new Promise((resolve, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`agent exited with ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`)),
      );
      if (!child.stdout) throw new Error('no stdout');
      createInterface({ input: child.stdout }).on('line', (line) => {
        const entry = parse(line);
        if (!entry) return;
        if (entry.message === 'agent started') resolve();
        const milestone = MILESTONES[entry.message];
        if (!milestone || typeof entry.revision !== 'number') return;
        const at = Date.parse(entry.timestamp);
        const seen = byRevision.get(entry.revision) ?? {};
        seen[milestone] ??= at;
        byRevision.set(entry.revision, seen);
        agent.onMilestone();
      });
    }),
    milestones: (revision) => byRevision.get(revision) ?? {},
    onMilestone: () => {},
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await Promise.race([exited, delay(10_000).then(() => child.kill('SIGKILL'))]);
    },
  };
  // The exit listener above must not turn a stop into an unhandled rejection.
  agent.started.catch(() => undefined);
  return agent;
}

function parse(line: string): { message: string; timestamp: string; revision?: unknown } | null {
  try {
    const entry = JSON.parse(line) as { message?: unknown; timestamp?: unknown; revision?: unknown };
    return typeof entry.message === 'string' && typeof entry.timestamp === 'string'
      ? { message: entry.message, timestamp: entry.timestamp, revision: entry.revision }
      : null;
  } catch {
    return null;
  }
}
