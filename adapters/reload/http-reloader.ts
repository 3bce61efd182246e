import { ReloadFailedError } from '../../core/agent/agent-errors.ts';
import type { Reloader } from '../../core/ports/reloader.ts';

/** Calls a URL (an application's admin endpoint); any 2xx answer is success. */
export class HttpReloader implements Reloader {
  readonly description: string;

  constructor(
    private readonly url: string,
    private readonly method: string,
    private readonly timeoutMs: number,
  ) {
    // The query string may carry a token: keep it out of logs and status.
    const shown = new URL(url);
    shown.search = '';
    this.description = `http ${method} ${shown.toString()}`;
  }

  async reload(): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.url, { method: this.method, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `timed out after ${this.timeoutMs} ms`
          : (error as Error).message;
      throw new ReloadFailedError(`${this.description}: ${reason}`, { cause: error });
    }
    const body = (await response.text().catch(() => '')).trim().slice(0, 300);
    if (!response.ok)
      throw new ReloadFailedError(`${this.description}: HTTP ${response.status}${body ? `: ${body}` : ''}`);
  }
}
