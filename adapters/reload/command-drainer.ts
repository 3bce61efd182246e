import { DrainFailedError } from '../../core/agent/agent-errors.ts';
import type { Drainer } from '../../core/ports/drainer.ts';
import { type ConfiguredCommand, describeCommand, runCommand } from './command-reloader.ts';

/**
 * Drains with a pair of commands (a load balancer's CLI, an API call through curl): it cannot count
 * the node's open connections, so the agent waits the configured settle time after `drain`.
 */
export class CommandDrainer implements Drainer {
  readonly description: string;

  constructor(
    private readonly drainCommand: ConfiguredCommand,
    private readonly readyCommand: ConfiguredCommand,
    private readonly timeoutMs: number,
  ) {
    this.description = `drain ${describeCommand(drainCommand)}, ready ${describeCommand(readyCommand)}`;
  }

  drain(): Promise<void> {
    return this.run(this.drainCommand);
  }

  ready(): Promise<void> {
    return this.run(this.readyCommand);
  }

  activeConnections(): Promise<number | null> {
    return Promise.resolve(null);
  }

  private run(command: ConfiguredCommand): Promise<void> {
    return runCommand(
      command,
      this.timeoutMs,
      (detail, cause) => new DrainFailedError(`${describeCommand(command)}: ${detail}`, { cause }),
    );
  }
}
