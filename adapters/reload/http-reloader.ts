import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ReloadFailedError } from '../../core/agent/agent-errors.ts';
import type { Reloader } from '../../core/ports/reloader.ts';

/** How much of an error answer's body the failure message quotes. */
const BODY_SHOWN = 300;

/**
 * Calls a URL (an application's admin endpoint); any 2xx answer is success. Through node:http, not
 * `fetch`: the agent runs with `--jitless` (see build/build.ts), where undici's WebAssembly HTTP
 * parser, and with it `fetch`, is unavailable.
 */
export class HttpReloader implements Reloader {
  readonly description: string;

  constructor(
    private readonly url: string,
    private readonly method: string,
    private readonly timeoutMs: number,
    /** Sent with the call; values may be secrets, so they appear in no message. */
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {
    // The query string may carry a token: keep it out of logs and status.
    const shown = new URL(url);
    shown.search = '';
    this.description = `http ${method} ${shown.toString()}`;
  }

  reload(): Promise<void> {
    const url = new URL(this.url);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const fail = (reason: string, cause?: unknown) =>
        reject(new ReloadFailedError(`${this.description}: ${reason}`, cause ? { cause } : undefined));
      const options = { method: this.method, timeout: this.timeoutMs, headers: { ...this.headers } };
      const req = request(url, options, (response) => {
        const status = response.statusCode ?? 0;
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < BODY_SHOWN) body += chunk;
        });
        response.on('error', (error) => fail(error.message, error));
        response.on('end', () => {
          if (status >= 200 && status < 300) return resolve();
          const shown = body.trim().slice(0, BODY_SHOWN);
          fail(`HTTP ${status}${shown ? `: ${shown}` : ''}`);
        });
      });
      // `timeout` is an idle timeout on the socket; the whole call is bounded the same way.
      const timer = setTimeout(() => req.destroy(new Error('timeout')), this.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) =>
        fail(error.message === 'timeout' ? `timed out after ${this.timeoutMs} ms` : error.message, error),
      );
      req.end();
    });
  }
}
