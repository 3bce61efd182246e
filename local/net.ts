/**
 * Port and HTTP server plumbing shared by the servers of the embedded stack. Everything binds
 * 127.0.0.1 only: the stack runs on shared machines and must never be reachable from outside.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer } from 'node:net';
import { listenOn } from '../adapters/http/http-server.ts';
import { LocalStackError } from './local-stack-error.ts';

/** The only address the embedded stack listens on. */
export const LOOPBACK = '127.0.0.1';

/**
 * Asks the kernel for a currently free TCP port on 127.0.0.1. For child processes (Pebble) that
 * cannot report the port they bound to; another process may take it before the child binds, so
 * callers retry on "address already in use".
 */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Listens on 127.0.0.1 (port 0 = a free one) and resolves with the bound port. @throws ListenError */
export function listenHttp(server: Server, port = 0): Promise<number> {
  return listenOn(server, port, LOOPBACK);
}

/**
 * Starts a server on a free port, picking another one when the first was taken between picking and
 * binding (another process on a shared machine); `clash` recognises that failure in the error text
 * of a child process, which is all it gives us.
 */
export async function onFreePort<T>(
  start: (port: number) => Promise<T>,
  clash: RegExp,
  attempts = 5,
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await start(await freeTcpPort());
    } catch (error) {
      lastError = error;
      if (!clash.test((error as Error).message)) throw error;
    }
  }
  throw lastError;
}

/**
 * An HTTP server of one of our stand-ins on a free port of 127.0.0.1: a handler that throws
 * answers 500 instead of leaving the client hanging, and a port that cannot be had is a
 * LocalStackError naming the component.
 */
export async function serveStandIn(
  component: string,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<{ readonly server: Server; readonly port: number }> {
  const server = createHttpServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  try {
    return { server, port: await listenHttp(server) };
  } catch (error) {
    throw new LocalStackError(component, `cannot listen: ${(error as Error).message}`, { cause: error });
  }
}
