/**
 * Listening and closing for the HTTP(S) servers of acme-ha: the node's HTTP-01 responder and
 * metrics endpoint, the DMZ receiver, and the embedded stack's stand-ins.
 */
import type { Server } from 'node:net';
import { ListenError } from '../../core/errors.ts';

/**
 * Listens on `host:port` (port 0: a free one) and resolves with the bound port.
 * @throws ListenError naming the address and the system's reason (EADDRINUSE, EACCES, …)
 */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(new ListenError(host, port, error.code ?? error.message, { cause: error }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Stops listening and drops every open connection, idle or not: SDK clients keep sockets alive and
 * SQS long polls hold requests open for up to 20 s, which would otherwise delay the close.
 */
export function closeHttp(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections?.();
  });
}
