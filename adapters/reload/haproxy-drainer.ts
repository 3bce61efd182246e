import { DrainFailedError } from '../../core/agent/agent-errors.ts';
import type { Drainer } from '../../core/ports/drainer.ts';
import { haproxyCommand, oneLine, parseShowStat } from './haproxy-socket.ts';

/**
 * Drains this node in an HAProxy load balancer through its runtime API: `set server B/S state
 * drain` (no new connections, the open ones go on), the server's current sessions from `show stat`
 * (`scur`), then `set server B/S state ready`.
 */
export class HaproxyDrainer implements Drainer {
  readonly description: string;

  constructor(
    private readonly socket: string,
    private readonly backend: string,
    private readonly server: string,
    private readonly timeoutMs: number,
  ) {
    this.description = `haproxy ${socket} server ${backend}/${server}`;
  }

  drain(): Promise<void> {
    return this.setState('drain');
  }

  ready(): Promise<void> {
    return this.setState('ready');
  }

  async activeConnections(): Promise<number | null> {
    const row = parseShowStat(await this.command('show stat\n')).find(
      (r) => r.pxname === this.backend && r.svname === this.server,
    );
    if (row?.scur === undefined || row.scur === '')
      throw new DrainFailedError(`${this.description}: not in show stat`);
    return Number(row.scur);
  }

  private async setState(state: 'drain' | 'ready'): Promise<void> {
    const answer = await this.command(`set server ${this.backend}/${this.server} state ${state}\n`);
    // Success is an empty answer; anything else says what was wrong (no such server, permission).
    if (answer.trim() !== '')
      throw new DrainFailedError(`${this.description}: state ${state}: ${oneLine(answer)}`);
  }

  private command(text: string): Promise<string> {
    return haproxyCommand(
      this.socket,
      text,
      this.timeoutMs,
      (detail, cause) => new DrainFailedError(`${this.description}: ${detail}`, { cause }),
    );
  }
}
