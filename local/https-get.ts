import { request } from 'node:https';

/** Status and body of one HTTPS GET. */
export interface HttpsText {
  readonly status: number;
  readonly body: string;
}

/**
 * One HTTPS GET that trusts only `ca` (Pebble's listener CA), with no connection reuse so that
 * nothing stays open after the answer. Node's fetch cannot take a CA without undici's dispatcher.
 */
export function httpsGetText(url: string, ca: string, timeoutMs = 5_000): Promise<HttpsText> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
