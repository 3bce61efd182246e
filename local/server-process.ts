/**
 * A server (nginx, HAProxy) run in the foreground as our child on a port of 127.0.0.1: started,
 * waited for until it accepts connections, stopped by its pid (SIGTERM, SIGKILL after 5 s).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalStackError } from './local-stack-error.ts';
import { acceptsConnections } from './tcp-ready.ts';

export interface ServerProcessOptions {
  /** Names the server in errors (`nginx did not start: …`). */
  readonly component: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The port it listens on; ready once it accepts connections there. */
  readonly port: number;
  /** A further condition of readiness (nginx: its pid file names our child). */
  readonly ready?: (pid: number) => Promise<boolean>;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

export interface ServerProcess {
  readonly pid: number;
  /** Idempotent. */
  stop(): Promise<void>;
}

/**
 * @throws LocalStackError when it exits before it is ready (with its stderr, so a port clash can be
 * recognised and retried) or is not ready in time (then it is killed)
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child: ChildProcess = spawn(options.command, [...options.args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.once('error', (error) => {
    stderr += `cannot run ${options.command}: ${error.message}`;
  });
  let gone = false;
  // 'close' follows both an exit and a failed spawn ('exit' does not follow the latter).
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      gone = true;
      resolve();
    }),
  );
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  const pid = child.pid ?? 0;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (gone) throw new LocalStackError(options.component, `did not start: ${stderr.trim() || 'exited'}`);
    if ((await acceptsConnections(options.port)) && (await (options.ready?.(pid) ?? true))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new LocalStackError(
        options.component,
        `not ready within ${(options.timeoutMs ?? 10_000) / 1000} s: ${stderr.trim()}`,
      );
    }
    await sleep(20);
  }
  return { pid, stop };
}
