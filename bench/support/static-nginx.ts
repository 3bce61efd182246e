/**
 * BENCHMARK HELPER: a minimal plain-HTTP nginx (Debian package) serving one directory as static
 * files on 127.0.0.1, master in the foreground as our child (stopped by its pid). Only for the
 * challenge-responder comparison; local/nginx-server.ts is the TLS reload target.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeTcpPort, LOOPBACK } from '../../local/net.ts';
import { ensureTools, TOOLS } from '../../local/prerequisites.ts';
import { acceptsConnections } from '../../local/tcp-ready.ts';

export interface StaticNginx {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

/** `root` must be readable by the worker (nobody when started as root). */
export async function startStaticNginx(prefix: string, root: string): Promise<StaticNginx> {
  await ensureTools([TOOLS.nginx]);
  await mkdir(join(prefix, 'logs'), { recursive: true });
  await mkdir(join(prefix, 'temp'), { recursive: true });
  const port = await freeTcpPort();
  const configFile = join(prefix, 'nginx.conf');
  const pidFile = join(prefix, 'nginx.pid');
  await writeFile(
    configFile,
    [
      'worker_processes 1;',
      'daemon off;',
      `pid ${pidFile};`,
      `error_log ${join(prefix, 'logs', 'error.log')} warn;`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      // Node's server keeps a connection for any number of requests; so does nginx here.
      '  keepalive_requests 1000000;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (kind) => `  ${kind}_temp_path ${join(prefix, 'temp', kind)};`,
      ),
      '  default_type text/plain;',
      `  server { listen ${LOOPBACK}:${port}; root ${root}; }`,
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
  let gone = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      gone = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (gone) throw new Error(`nginx did not start: ${stderr.trim() || 'exited'}`);
    const pid = await readFile(pidFile, 'utf8').catch(() => '');
    if (pid.trim() === String(child.pid) && (await acceptsConnections(port))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx not ready within 10 s: ${stderr.trim()}`);
    }
    await sleep(20);
  }
  return { pid: child.pid ?? 0, port, stop };
}
