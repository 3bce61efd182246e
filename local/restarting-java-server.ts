/**
 * A Java file-transfer server whose reload is a service restart, the common case the drain exists
 * for: the JVM stops (every connection dropped, the port closed) and a new one starts on the same
 * port with the keystore file as it is now. The agent's `reload: http` posts to `restartUrl`.
 */
import { createServer } from 'node:http';
import { closeHttp } from '../adapters/http/http-server.ts';
import { type JavaTlsServer, type JavaTlsServerOptions, startJavaTlsServer } from './java-tls-server.ts';
import { freeTcpPort, LOOPBACK, listenHttp } from './net.ts';

/** Something whose restart an HTTP request triggers. */
export interface Restartable {
  restart(): Promise<void>;
}

export interface RestartEndpoint {
  /** POST here: 204 once the restart is over, 500 with the reason when it failed. */
  readonly url: string;
  stop(): Promise<void>;
}

/** An HTTP endpoint on 127.0.0.1 that restarts `server`, one restart at a time. */
export async function serveRestarts(server: Restartable): Promise<RestartEndpoint> {
  let queue: Promise<unknown> = Promise.resolve();
  const control = createServer((_req, res) => {
    const restart = queue.then(() => server.restart());
    queue = restart.catch(() => undefined);
    restart.then(
      () => res.writeHead(204).end(),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  const port = await listenHttp(control);
  return { url: `http://${LOOPBACK}:${port}/restart`, stop: () => closeHttp(control) };
}

export class RestartingJavaServer implements Restartable {
  private server: JavaTlsServer | undefined;
  restarts = 0;

  private constructor(
    private readonly options: Omit<JavaTlsServerOptions, 'tlsPort'>,
    readonly port: number,
  ) {}

  /** @throws LocalStackError when Java cannot load the keystore or does not start */
  static async start(options: Omit<JavaTlsServerOptions, 'tlsPort'>): Promise<RestartingJavaServer> {
    const node = new RestartingJavaServer(options, await freeTcpPort());
    await node.launch();
    return node;
  }

  private async launch(): Promise<void> {
    this.server = await startJavaTlsServer({ ...this.options, tlsPort: this.port });
  }

  async restart(): Promise<void> {
    this.restarts++;
    await this.stop();
    await this.launch();
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }
}
