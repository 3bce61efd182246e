/**
 * A real HAProxy (Debian package) terminating TLS with a combined PEM, its runtime API on a unix
 * socket with `level admin`, everything in a directory of the caller's and bound to 127.0.0.1 on a
 * free port: the hitless reload target for the agent (`set ssl cert` + `commit ssl cert`).
 * Runs in the foreground (`-db`) as our child and is stopped by its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalStackError } from './local-stack-error.ts';
import { LOOPBACK, onFreePort } from './net.ts';
import { ensureTools, TOOLS } from './prerequisites.ts';
import { acceptsConnections } from './tcp-ready.ts';

export interface HaproxyOptions {
  /** Directory for the configuration and the admin socket (created if needed). */
  readonly directory: string;
  /** Certificates and key in one PEM file, as `crt` wants it (the agent's combined.pem). */
  readonly combinedPemFile: string;
}

export interface HaproxyServer {
  readonly pid: number;
  readonly port: number;
  readonly configFile: string;
  /** The runtime API socket (`level admin`). */
  readonly adminSocket: string;
  /** The certificate's name for `set ssl cert`: the path as written in the `crt` line. */
  readonly certificateName: string;
  /** Idempotent. */
  stop(): Promise<void>;
}

/**
 * @throws MissingToolError without haproxy; LocalStackError when it does not start
 */
export async function startHaproxy(options: HaproxyOptions): Promise<HaproxyServer> {
  await ensureTools([TOOLS.haproxy]);
  return onFreePort((port) => startOnce(options, port), /address already in use|cannot bind/i);
}

async function startOnce(options: HaproxyOptions, port: number): Promise<HaproxyServer> {
  await mkdir(options.directory, { recursive: true });
  const configFile = join(options.directory, 'haproxy.cfg');
  const adminSocket = join(options.directory, 'admin.sock');
  await writeFile(
    configFile,
    [
      'global',
      `  stats socket ${adminSocket} mode 600 level admin`,
      // The runtime API replaces certificates in memory; no session reuse across an update.
      '  tune.ssl.cachesize 0',
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      // Short: openssl s_client keeps the connection until the server closes it.
      '  timeout client 1s',
      '  timeout server 10s',
      'frontend tls',
      `  bind ${LOOPBACK}:${port} ssl crt ${options.combinedPemFile} no-tls-tickets`,
      '  http-request return status 200 content-type text/plain string ok',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + 10_000;
  while (!(await acceptsConnections(port))) {
    if (gone) throw new LocalStackError('haproxy', `did not start: ${stderr.trim() || 'exited'}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new LocalStackError('haproxy', `not ready within 10 s: ${stderr.trim()}`);
    }
    await sleep(20);
  }
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? 0,
    port,
    configFile,
    adminSocket,
    certificateName: options.combinedPemFile,
    stop: () => {
      stopping ??= (async () => {
        if (gone) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
