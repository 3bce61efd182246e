/**
 * BENCHMARK HELPER: a minimal plain-HTTP nginx (Debian package) serving one directory as static
 * files on 127.0.0.1, master in the foreground as our child (stopped by its pid). Only for the
 * challenge-responder comparison; local/nginx-server.ts is the TLS reload target.
 */
import { LOOPBACK, onFreePort } from '../../local/net.ts';
import { runNginx } from '../../local/nginx-server.ts';
import { ensureTools, TOOLS } from '../../local/prerequisites.ts';

export interface StaticNginx {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

/** `root` must be readable by the worker (nobody when started as root). */
export async function startStaticNginx(prefix: string, root: string): Promise<StaticNginx> {
  await ensureTools([TOOLS.nginx]);
  return onFreePort(async (port) => {
    const nginx = await runNginx(prefix, port, {
      errorLogLevel: 'warn',
      http: [
        // Node's server keeps a connection for any number of requests; so does nginx here.
        'keepalive_requests 1000000;',
        'default_type text/plain;',
        `server { listen ${LOOPBACK}:${port}; root ${root}; }`,
      ],
    });
    return { pid: nginx.pid, port, stop: nginx.stop };
  }, /Address already in use/);
}
