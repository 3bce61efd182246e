/**
 * A real nginx (Debian package) serving TLS from PEM files, with its own prefix and configuration
 * in a directory of the caller's, bound to 127.0.0.1 on a free port: a reload target for the agent
 * (`nginx -s reload` or SIGHUP to its pid file) in tests and the demo. The master runs in the
 * foreground as our child, so it is stopped by its pid.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOOPBACK, onFreePort } from './net.ts';
import { ensureTools, TOOLS } from './prerequisites.ts';
import { type ServerProcess, startServerProcess } from './server-process.ts';

export interface NginxOptions {
  /** Directory for the prefix, configuration, pid file and logs (created if needed). */
  readonly directory: string;
  readonly certificateFile: string;
  readonly keyFile: string;
  /**
   * The `user` the workers run as when nginx starts as root; they never read the key (the master
   * does), so an unprivileged account works.
   * @default 'www-data' (Debian's nginx account) when root, none otherwise
   */
  readonly user?: string;
}

export interface NginxServer {
  readonly pid: number;
  readonly port: number;
  readonly prefix: string;
  readonly configFile: string;
  readonly pidFile: string;
  /** The argv that reloads it: `nginx -p <prefix> -c <conf> -s reload`. */
  readonly reloadCommand: readonly string[];
  /** The error log (reload failures show up here). */
  errorLog(): Promise<string>;
  /** Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground (`daemon off`, master + one worker). A port taken between picking
 * and binding is retried.
 * @throws MissingToolError without nginx; LocalStackError when it does not start
 */
export async function startNginx(options: NginxOptions): Promise<NginxServer> {
  await ensureTools([TOOLS.nginx]);
  return onFreePort((port) => startOnce(options, port), /Address already in use/);
}

async function startOnce(options: NginxOptions, port: number): Promise<NginxServer> {
  const user = options.user ?? (process.getuid?.() === 0 ? 'www-data' : undefined);
  const nginx = await runNginx(options.directory, port, {
    ...(user ? { user } : {}),
    errorLogLevel: 'notice',
    http: [
      // openssl s_client sends nothing and waits for the server to close: do not keep it a minute.
      'client_header_timeout 1s;',
      'server {',
      `  listen ${LOOPBACK}:${port} ssl;`,
      '  server_name _;',
      `  ssl_certificate ${options.certificateFile};`,
      `  ssl_certificate_key ${options.keyFile};`,
      // Every handshake shows the certificate served now.
      '  ssl_session_cache off;',
      '  ssl_session_tickets off;',
      '  return 200 "ok\\n";',
      '}',
    ],
  });
  const prefix = options.directory;
  return {
    ...nginx,
    port,
    prefix,
    reloadCommand: ['nginx', '-p', prefix, '-c', nginx.configFile, '-s', 'reload'],
    errorLog: () => readFile(join(prefix, 'logs', 'error.log'), 'utf8').catch(() => ''),
  };
}

export interface NginxSettings {
  readonly user?: string;
  readonly errorLogLevel: 'notice' | 'warn';
  /** Directives of the `http` block besides logging and temp paths (the `server` blocks). */
  readonly http: readonly string[];
}

/**
 * Writes a one-worker, foreground nginx configuration under `prefix` (pid file, logs and temp
 * paths inside it, no access log) and starts nginx on it; ready once the pid file names our child
 * and `port` accepts connections.
 */
export async function runNginx(
  prefix: string,
  port: number,
  settings: NginxSettings,
): Promise<ServerProcess & { readonly configFile: string; readonly pidFile: string }> {
  await mkdir(join(prefix, 'logs'), { recursive: true });
  await mkdir(join(prefix, 'temp'), { recursive: true });
  const configFile = join(prefix, 'nginx.conf');
  const pidFile = join(prefix, 'nginx.pid');
  await writeFile(
    configFile,
    [
      settings.user ? `user ${settings.user};` : '',
      'worker_processes 1;',
      'daemon off;',
      `pid ${pidFile};`,
      `error_log ${join(prefix, 'logs', 'error.log')} ${settings.errorLogLevel};`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (kind) => `  ${kind}_temp_path ${join(prefix, 'temp', kind)};`,
      ),
      ...settings.http.map((line) => `  ${line}`),
      '}',
      '',
    ].join('\n'),
  );
  const server = await startServerProcess({
    component: 'nginx',
    command: 'nginx',
    args: ['-p', prefix, '-c', configFile],
    port,
    ready: async (pid) => (await readFile(pidFile, 'utf8').catch(() => '')).trim() === String(pid),
  });
  return { ...server, configFile, pidFile };
}
