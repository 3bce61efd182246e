/**
 * The DMZ's port-80 HTTP-01 responder: every `/.well-known/acme-challenge/<token>` request gets a
 * 302 to the public responder URL + the same path (Let's Encrypt follows redirects to ports 80 and
 * 443), everything else a 404. It is `local/challenge-responder.ts`'s redirect mode, written again
 * in a few lines because that module also carries the table lookup and so imports the AWS SDK,
 * which the DMZ receiver must not load (a test bundles the receiver and checks).
 */
import { createServer } from 'node:http';
import { CHALLENGE_PREFIX } from '../../core/challenge/respond.ts';
import type { Logger } from '../../core/ports/logger.ts';

export interface RedirectResponder {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startRedirectResponder(options: {
  readonly host: string;
  readonly port: number;
  readonly redirectUrl: string;
  readonly log: Logger;
}): Promise<RedirectResponder> {
  const base = options.redirectUrl.replace(/\/+$/, '');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const token = path.slice(CHALLENGE_PREFIX.length);
    if (!path.startsWith(CHALLENGE_PREFIX) || !/^[A-Za-z0-9_-]+$/.test(token)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(302, { location: `${base}${path}`, 'cache-control': 'no-store' }).end();
    options.log.info('challenge redirected', { token, host: req.headers.host ?? '' });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  let stopping: Promise<void> | undefined;
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    stop: () => {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
