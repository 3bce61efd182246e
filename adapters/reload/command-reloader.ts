import { execFile } from 'node:child_process';
import { ReloadFailedError } from '../../core/agent/agent-errors.ts';
import type { Reloader } from '../../core/ports/reloader.ts';

/**
 * Runs a command (`systemctl reload nginx`, `nginx -s reload`): an argv array runs without a shell,
 * a string runs under /bin/sh -c. Exit status 0 is success; the process group is killed at the timeout.
 */
export class CommandReloader implements Reloader {
  readonly description: string;

  constructor(
    private readonly command: string | readonly string[],
    private readonly timeoutMs: number,
  ) {
    this.description = `command ${typeof command === 'string' ? command : command.join(' ')}`;
  }

  reload(): Promise<void> {
    const [file, ...args] = typeof this.command === 'string' ? ['/bin/sh', '-c', this.command] : this.command;
    if (!file) return Promise.reject(new ReloadFailedError('empty reload command'));
    return new Promise((resolve, reject) => {
      execFile(file, args, { timeout: this.timeoutMs, killSignal: 'SIGKILL' }, (error, _stdout, stderr) => {
        if (!error) return resolve();
        const detail = error.killed
          ? `timed out after ${this.timeoutMs} ms`
          : `exit ${error.code ?? 'unknown'}${stderr.trim() ? `: ${lastLine(stderr)}` : ''}`;
        reject(new ReloadFailedError(`${this.description}: ${detail}`, { cause: error }));
      });
    });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.slice(0, 300) ?? '';
}
