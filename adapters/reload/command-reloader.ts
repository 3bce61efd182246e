import { execFile } from 'node:child_process';
import { ReloadFailedError } from '../../core/agent/agent-errors.ts';
import type { Reloader } from '../../core/ports/reloader.ts';

/** A command as configured: an argv array runs without a shell, a string under /bin/sh -c. */
export type ConfiguredCommand = string | readonly string[];

export function describeCommand(command: ConfiguredCommand): string {
  return `command ${typeof command === 'string' ? command : command.join(' ')}`;
}

/**
 * Runs a configured command to its end: exit status 0 is success; it is killed at the timeout.
 * Rejects with `fail(detail)`: the exit status and the last line of stderr, or the timeout.
 */
export function runCommand(
  command: ConfiguredCommand,
  timeoutMs: number,
  fail: (detail: string, cause?: unknown) => Error,
): Promise<void> {
  const [file, ...args] = typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
  if (!file) return Promise.reject(fail('empty command'));
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const detail = error.killed
        ? `timed out after ${timeoutMs} ms`
        : `exit ${error.code ?? 'unknown'}${stderr.trim() ? `: ${lastLine(stderr)}` : ''}`;
      reject(fail(detail, error));
    });
  });
}

/** Runs a command (`systemctl reload nginx`, `nginx -s reload`) as the reload action. */
export class CommandReloader implements Reloader {
  readonly description: string;

  constructor(
    private readonly command: ConfiguredCommand,
    private readonly timeoutMs: number,
  ) {
    this.description = describeCommand(command);
  }

  reload(): Promise<void> {
    return runCommand(
      this.command,
      this.timeoutMs,
      (detail, cause) => new ReloadFailedError(`${this.description}: ${detail}`, { cause }),
    );
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.slice(0, 300) ?? '';
}
