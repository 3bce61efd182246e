/**
 * Pebble 2.4 has no renewalInfo endpoint (RFC 9773), so ARI is tested against this one: it serves
 * Pebble's own directory with a `renewalInfo` URL added, and answers renewalInfo requests with the
 * window the test sets. Orders still go to Pebble, whose URLs the directory keeps.
 */
import { createServer } from 'node:http';
import { Agent, get } from 'node:https';
import { closeHttp } from '../../adapters/http/http-server.ts';
import { listenHttp } from '../../local/net.ts';

export interface AriDirectory {
  readonly url: string;
  /** Certificate identifiers asked about, in order. */
  readonly asked: string[];
  setWindow(start: Date, end: Date, retryAfterSeconds?: number): void;
  stop(): Promise<void>;
}

function fetchJson(url: string, ca: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    get(url, { agent: new Agent({ ca }) }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
    }).on('error', reject);
  });
}

export async function startAriDirectory(
  pebbleDirectoryUrl: string,
  pebbleCaPem: string,
): Promise<AriDirectory> {
  const upstream = await fetchJson(pebbleDirectoryUrl, pebbleCaPem);
  const asked: string[] = [];
  let window = { start: new Date(), end: new Date(), retryAfter: 3600 };
  let base = '';
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/directory') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...upstream, renewalInfo: `${base}/renewal-info` }));
      return;
    }
    const match = /^\/renewal-info\/([\w-]+\.[\w-]+)$/.exec(path);
    if (!match?.[1]) {
      res.writeHead(404).end();
      return;
    }
    asked.push(match[1]);
    res.writeHead(200, { 'content-type': 'application/json', 'retry-after': String(window.retryAfter) }).end(
      JSON.stringify({
        suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() },
      }),
    );
  });
  const port = await listenHttp(server, 0);
  base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/directory`,
    asked,
    setWindow: (start, end, retryAfterSeconds = 3600) => {
      window = { start, end, retryAfter: retryAfterSeconds };
    },
    stop: () => closeHttp(server),
  };
}
