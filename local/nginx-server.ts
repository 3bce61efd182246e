/**
 * A real nginx (Debian package) serving TLS from PEM files, with its own prefix and configuration
 * in a directory of the caller's, bound to 127.0.0.1 on a free port: a reload target for the agent
 * (`nginx -s reload` or SIGHUP to its pid file) in tests and the demo. The master runs in the
 * foreground as our child, so it is stopped by its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalStackError } from './local-stack-error.ts';
import { LOOPBACK, onFreePort } from './net.ts';
import { ensureTools, TOOLS } from './prerequisites.ts';
import { acceptsConnections } from './tcp-ready.ts';

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
  const prefix = options.directory;
  await mkdir(join(prefix, 'logs'), { recursive: true });
  await mkdir(join(prefix, 'temp'), { recursive: true });
  const configFile = join(prefix, 'nginx.conf');
  const pidFile = join(prefix, 'nginx.pid');
  const user = options.user ?? (process.getuid?.() === 0 ? 'www-data' : undefined);
  await writeFile(
    configFile,
    [
      user ? `user ${user};` : '',
      'worker_processes 1;',
      'daemon off;',
      `pid ${pidFile};`,
      `error_log ${join(prefix, 'logs', 'error.log')} notice;`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      // openssl s_client sends nothing and waits for the server to close: do not keep it a minute.
      '  client_header_timeout 1s;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (kind) => `  ${kind}_temp_path ${join(prefix, 'temp', kind)};`,
      ),
      '  server {',
      `    listen ${LOOPBACK}:${port} ssl;`,
      '    server_name _;',
      `    ssl_certificate ${options.certificateFile};`,
      `    ssl_certificate_key ${options.keyFile};`,
      // Every handshake shows the certificate served now.
      '    ssl_session_cache off;',
      '    ssl_session_tickets off;',
      '    return 200 "ok\\n";',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('nginx', ['-p', prefix, '-c', configFile], {
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
  // Ready when the pid file holds the master's pid and the port accepts connections.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (gone) throw new LocalStackError('nginx', `did not start: ${stderr.trim() || 'exited'}`);
    const pid = await readFile(pidFile, 'utf8').catch(() => '');
    if (pid.trim() === String(child.pid) && (await acceptsConnections(port))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new LocalStackError('nginx', `not ready within 10 s: ${stderr.trim()}`);
    }
    await sleep(20);
  }
  const pid = child.pid ?? 0;
  let stopping: Promise<void> | undefined;
  return {
    pid,
    port,
    prefix,
    configFile,
    pidFile,
    reloadCommand: ['nginx', '-p', prefix, '-c', configFile, '-s', 'reload'],
    errorLog: () => readFile(join(prefix, 'logs', 'error.log'), 'utf8').catch(() => ''),
    stop: () => {
      stopping ??= (async () => {
        if (gone) return;
        // SIGTERM: fast shutdown of the master and its workers.
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
