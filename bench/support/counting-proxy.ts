/**
 * BENCHMARK HELPER: an HTTP forwarding proxy on 127.0.0.1 in front of one embedded-stack endpoint
 * (DynamoDB, S3, SQS) that counts the requests passing through, by operation: the `x-amz-target`
 * header (DynamoDB, SQS JSON protocol), the query protocol's `Action=` or, for S3, the method.
 * Long polls are held open as long as the upstream holds them.
 */
import { createServer, request } from 'node:http';
import { closeHttp } from '../../adapters/http/http-server.ts';
import { LOOPBACK, listenHttp } from '../../local/net.ts';

export interface CountingProxy {
  readonly endpoint: string;
  /** Requests seen so far, by operation (a copy). */
  counts(): Record<string, number>;
  stop(): Promise<void>;
}

function operation(method: string, target: string | undefined, url: string, service: string): string {
  if (target) return target.split('.').at(-1) ?? target;
  const action = /[?&]Action=([A-Za-z]+)/.exec(url)?.[1];
  if (action) return action;
  return `${service} ${method}`;
}

export async function startCountingProxy(upstream: string, service: string): Promise<CountingProxy> {
  const to = new URL(upstream);
  const counts: Record<string, number> = {};
  const server = createServer((req, res) => {
    const target = req.headers['x-amz-target'];
    const op = operation(
      req.method ?? 'GET',
      typeof target === 'string' ? target : undefined,
      req.url ?? '/',
      service,
    );
    counts[op] = (counts[op] ?? 0) + 1;
    const forward = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: to.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  const port = await listenHttp(server);
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    counts: () => ({ ...counts }),
    stop: () => closeHttp(server),
  };
}
