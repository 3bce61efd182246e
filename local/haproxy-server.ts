/**
 * A real HAProxy (Debian package) terminating TLS with a combined PEM, its runtime API on a unix
 * socket with `level admin`, everything in a directory of the caller's and bound to 127.0.0.1 on a
 * free port: the hitless reload target for the agent (`set ssl cert` + `commit ssl cert`).
 * Runs in the foreground (`-db`) as our child and is stopped by its pid.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOOPBACK, onFreePort } from './net.ts';
import { ensureTools, TOOLS } from './prerequisites.ts';
import { startServerProcess } from './server-process.ts';

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
  const server = await startServerProcess({
    component: 'haproxy',
    command: 'haproxy',
    args: ['-db', '-f', configFile],
    port,
  });
  return { ...server, port, configFile, adminSocket, certificateName: options.combinedPemFile };
}

export interface BalancerOptions {
  /** Directory for the configuration and the admin socket (created if needed). */
  readonly directory: string;
  /** The backend's servers: a name each (as `set server` takes it) and a port on 127.0.0.1. */
  readonly servers: readonly { readonly name: string; readonly port: number }[];
}

export interface HaproxyBalancer {
  readonly pid: number;
  /** Where clients connect. */
  readonly port: number;
  /** The runtime API socket (`level admin`): `set server <backend>/<name> state drain|ready`. */
  readonly adminSocket: string;
  readonly backend: string;
  stop(): Promise<void>;
}

/**
 * A real HAProxy as the cluster's load balancer: TLS passed through (mode tcp, so each client sees
 * and verifies the certificate the node itself serves, as in front of a file-transfer server),
 * round robin over the nodes, a TCP health check every 200 ms (down after 2 failures, up after 1),
 * no redispatch (a connection sent to a node that refuses it fails, as it would for a client).
 * @throws MissingToolError without haproxy; LocalStackError when it does not start
 */
export async function startHaproxyBalancer(options: BalancerOptions): Promise<HaproxyBalancer> {
  await ensureTools([TOOLS.haproxy]);
  return onFreePort(async (port) => {
    await mkdir(options.directory, { recursive: true });
    const configFile = join(options.directory, 'balancer.cfg');
    const adminSocket = join(options.directory, 'balancer.sock');
    const backend = 'nodes';
    await writeFile(
      configFile,
      [
        'global',
        `  stats socket ${adminSocket} mode 600 level admin`,
        'defaults',
        '  mode tcp',
        '  timeout connect 2s',
        '  timeout client 30s',
        '  timeout server 30s',
        'frontend clients',
        `  bind ${LOOPBACK}:${port}`,
        `  default_backend ${backend}`,
        `backend ${backend}`,
        '  balance roundrobin',
        ...options.servers.map(
          (s) => `  server ${s.name} ${LOOPBACK}:${s.port} check inter 200 fall 2 rise 1`,
        ),
        '',
      ].join('\n'),
    );
    const server = await startServerProcess({
      component: 'haproxy',
      command: 'haproxy',
      args: ['-db', '-f', configFile],
      port,
    });
    return { ...server, port, adminSocket, backend };
  }, /address already in use|cannot bind/i);
}
