import { readFile } from 'node:fs/promises';
import { ReloadFailedError } from '../../core/agent/agent-errors.ts';
import type { Reloader } from '../../core/ports/reloader.ts';
import { haproxyCommand, oneLine } from './haproxy-socket.ts';

/**
 * Hitless certificate update through HAProxy's runtime API: `set ssl cert <name>` with the PEM
 * (certificates and key) as payload, then `commit ssl cert <name>`. No restart, no dropped
 * connection. The PEM is read from the file the agent just wrote (or restored), so a rollback
 * sends the old certificate the same way. Note that the runtime change is not persisted by
 * HAProxy itself: the file on disk is what a later restart loads, and the agent keeps it current.
 */
export class HaproxyRuntimeReloader implements Reloader {
  readonly description: string;

  constructor(
    private readonly socketPath: string,
    private readonly certificateName: string,
    private readonly pemFile: string,
    private readonly timeoutMs: number,
  ) {
    this.description = `haproxy runtime API ${socketPath} cert ${certificateName}`;
  }

  async reload(): Promise<void> {
    const pem = (await readFile(this.pemFile, 'utf8')).trim();
    const set = await this.command(`set ssl cert ${this.certificateName} <<\n${pem}\n\n`);
    if (!/Transaction (created|updated)/i.test(set)) {
      await this.command(`abort ssl cert ${this.certificateName}\n`).catch(() => '');
      throw new ReloadFailedError(`${this.description}: set ssl cert: ${oneLine(set)}`);
    }
    const commit = await this.command(`commit ssl cert ${this.certificateName}\n`);
    if (!/Success!/.test(commit))
      throw new ReloadFailedError(`${this.description}: commit ssl cert: ${oneLine(commit)}`);
  }

  private command(text: string): Promise<string> {
    return haproxyCommand(
      this.socketPath,
      text,
      this.timeoutMs,
      (detail, cause) => new ReloadFailedError(`${this.description}: ${detail}`, { cause }),
    );
  }
}
