import { Command } from 'commander';
import { agentCommand } from './agent-command.ts';
import { dmzCommand } from './dmz-command.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { type CliIo, processIo } from './io.ts';
import { keystoreCommand } from './keystore-command.ts';
import { localCommand } from './local-command.ts';
import { renewCommand } from './renew-command.ts';
import { reportError } from './report-error.ts';
import { statusCommand } from './status-command.ts';

const VERSION = '0.1.0';

export function program(io: CliIo): Command {
  const root = new Command('acme-ha')
    .description("Let's Encrypt certificates for high-availability server clusters")
    .version(VERSION);
  root.addCommand(keystoreCommand(io));
  root.addCommand(localCommand(io));
  root.addCommand(renewCommand(io));
  root.addCommand(agentCommand(io));
  root.addCommand(statusCommand(io));
  root.addCommand(dmzCommand(io));
  configureAll(root, io);
  return root;
}

/** Commander copies output settings only to subcommands made with `.command()`; set them everywhere. */
function configureAll(command: Command, io: CliIo): void {
  command
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: (message, write) => write(`acme-ha: ${message.replace(/^error: /, '').trim()}\n`),
    })
    .exitOverride();
  for (const sub of command.commands) configureAll(sub, io);
}

/** Runs one command line; never throws, never exits the process: returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<ExitCode> {
  const cli = program(io);
  try {
    await cli.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (error) {
    return reportError(error, io);
  }
}
