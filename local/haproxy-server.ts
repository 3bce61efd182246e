/**
 * Real HAProxy (Debian package), its runtime API on a unix socket with `level admin`, everything in
 * a directory of the caller's and bound to 127.0.0.1 on a free port; in the foreground (`-db`) as
 * our child, stopped by its pid. Two roles: terminating TLS with a combined PEM, the hitless reload
 * target for the agent (`set ssl cert` + `commit ssl cert`); and the load balancer in front of the
 * nodes, which the agent drains them from (`set server … state drain|ready`).
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

/** A running HAProxy of ours. */
export interface HaproxyProcess {
  readonly pid: number;
  /** Where clients connect. */
  readonly port: number;
  readonly configFile: string;
  /** The runtime API socket (`level admin`). */
  readonly adminSocket: string;
  /** Idempotent. */
  stop(): Promise<void>;
}

export interface HaproxyServer extends HaproxyProcess {
  /** The certificate's name for `set ssl cert`: the path as written in the `crt` line. */
  readonly certificateName: string;
}

/**
 * HAProxy in the foreground with the configuration `sections` write (after its `global` section with
 * the admin socket), on a free port of 127.0.0.1.
 * @throws MissingToolError without haproxy; LocalStackError when it does not start
 */
async function startHaproxyWith(
  directory: string,
  sections: (port: number) => readonly string[],
): Promise<HaproxyProcess> {
  await ensureTools([TOOLS.haproxy]);
  await mkdir(directory, { recursive: true });
  const configFile = join(directory, 'haproxy.cfg');
  const adminSocket = join(directory, 'admin.sock');
  return onFreePort(async (port) => {
    await writeFile(
      configFile,
      ['global', `  stats socket ${adminSocket} mode 600 level admin`, ...sections(port), ''].join('\n'),
    );
    const server = await startServerProcess({
      component: 'haproxy',
      command: 'haproxy',
      args: ['-db', '-f', configFile],
      port,
    });
    return { ...server, port, configFile, adminSocket };
  }, /address already in use|cannot bind/i);
}

/** The hitless reload target: TLS terminated with the agent's combined PEM, answering `ok`. */
export async function startHaproxy(options: HaproxyOptions): Promise<HaproxyServer> {
  const server = await startHaproxyWith(options.directory, (port) => [
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
  ]);
  return { ...server, certificateName: options.combinedPemFile };
}

export interface BalancerOptions {
  /** Directory for the configuration and the admin socket (created if needed). */
  readonly directory: string;
  /**
   * The backend's servers: a name each (as `set server` takes it) and a port on 127.0.0.1; with
   * `healthPort`, HAProxy checks `GET /` there (2xx/3xx: up) instead of connecting to `port`.
   */
  readonly servers: readonly { readonly name: string; readonly port: number; readonly healthPort?: number }[];
}

export interface HaproxyBalancer extends HaproxyProcess {
  /** The backend whose servers `set server <backend>/<name> state drain|ready` names. */
  readonly backend: string;
}

const BACKEND = 'nodes';

/**
 * A real HAProxy as the cluster's load balancer: TLS passed through (mode tcp, so each client sees
 * and verifies the certificate the node itself serves, as in front of a file-transfer server),
 * round robin over the nodes, a health check every 200 ms (down after 2 failures, up after 1; TCP,
 * or HTTP on a server's `healthPort`),
 * no redispatch (a connection sent to a node that refuses it fails, as it would for a client).
 */
export async function startHaproxyBalancer(options: BalancerOptions): Promise<HaproxyBalancer> {
  const balancer = await startHaproxyWith(options.directory, (port) => [
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    'frontend clients',
    `  bind ${LOOPBACK}:${port}`,
    `  default_backend ${BACKEND}`,
    `backend ${BACKEND}`,
    '  balance roundrobin',
    ...(options.servers.some((s) => s.healthPort) ? ['  option httpchk GET /'] : []),
    ...options.servers.map(
      (s) =>
        `  server ${s.name} ${LOOPBACK}:${s.port} check${s.healthPort ? ` port ${s.healthPort}` : ''} inter 200 fall 2 rise 1`,
    ),
  ]);
  return { ...balancer, backend: BACKEND };
}
