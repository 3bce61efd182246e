/**
 * BENCHMARK STAND-IN, not a product server: a tiny TLS server in the bench's own process that
 * serves one combined PEM file (key + chain) and swaps its certificate when `POST /reload` arrives on
 * a separate plain-HTTP port (it re-reads the file and calls setSecureContext). It stands for "a
 * server that reloads from its PEM files" so that 20–50 agents stay affordable on 2 cores, where 20–50
 * nginx masters with workers would not. Both listeners bind 127.0.0.1 only.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTlsServer, type SecureContextOptions } from 'node:tls';
import { closeHttp } from '../../adapters/http/http-server.ts';
import { LOOPBACK, listenHttp } from '../../local/net.ts';

export interface ReloadableTlsServer {
  readonly tlsPort: number;
  /** `POST` here re-reads the PEM file; 204 when swapped, 500 with the reason otherwise. */
  readonly reloadUrl: string;
  /** Reloads served so far. */
  reloads(): number;
  stop(): Promise<void>;
}

async function contextOptions(pemFile: string): Promise<SecureContextOptions> {
  const pem = await readFile(pemFile, 'utf8');
  // OpenSSL takes the key and the certificates from the same bundle, skipping the other blocks.
  return { key: pem, cert: pem };
}

export async function startReloadableTlsServer(pemFile: string): Promise<ReloadableTlsServer> {
  const tls = createTlsServer({ ...(await contextOptions(pemFile)) }, (socket) => {
    socket.end('ok\n');
  });
  // Every handshake shows the certificate served now: no session tickets (no cache by default here).
  tls.on('tlsClientError', () => {});
  const tlsPort = await new Promise<number>((resolve, reject) => {
    tls.once('error', reject);
    tls.listen(0, LOOPBACK, () => {
      tls.off('error', reject);
      const address = tls.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  let reloads = 0;
  const http = createHttpServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/reload') {
      res.writeHead(404).end();
      return;
    }
    contextOptions(pemFile).then(
      (options) => {
        tls.setSecureContext(options);
        reloads++;
        res.writeHead(204).end();
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
      },
    );
  });
  const httpPort = await listenHttp(http);
  return {
    tlsPort,
    reloadUrl: `http://${LOOPBACK}:${httpPort}/reload`,
    reloads: () => reloads,
    stop: async () => {
      await closeHttp(http);
      await new Promise<void>((resolve) => tls.close(() => resolve()));
    },
  };
}
