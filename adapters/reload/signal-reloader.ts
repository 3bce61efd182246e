import { readFile } from 'node:fs/promises';
import { ReloadFailedError } from '../../core/agent/agent-errors.ts';
import type { Reloader } from '../../core/ports/reloader.ts';

/** Sends a signal (SIGHUP, SIGUSR1, SIGUSR2) to the process named by a pid file. */
export class SignalReloader implements Reloader {
  readonly description: string;

  constructor(
    private readonly signal: NodeJS.Signals,
    private readonly pidFile: string,
  ) {
    this.description = `signal ${signal} to the pid in ${pidFile}`;
  }

  async reload(): Promise<void> {
    const text = await readFile(this.pidFile, 'utf8').catch((error: Error) => {
      throw new ReloadFailedError(`${this.description}: cannot read the pid file (${error.message})`, {
        cause: error,
      });
    });
    const pid = Number(text.trim());
    if (!Number.isSafeInteger(pid) || pid <= 1)
      throw new ReloadFailedError(`${this.description}: ${JSON.stringify(text.trim())} is not a pid`);
    try {
      process.kill(pid, this.signal);
    } catch (error) {
      throw new ReloadFailedError(`${this.description}: ${(error as Error).message}`, { cause: error });
    }
  }
}
