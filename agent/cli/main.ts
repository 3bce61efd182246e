import { Command, CommanderError } from 'commander';
import { AcmeHaError, InvalidInputError } from '../../core/errors.ts';
import { agentCommand } from './agent-command.ts';
import { dmzCommand } from './dmz-command.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { CliExit, CliInputError, type CliIo, processIo } from './io.ts';
import { keystoreCommand } from './keystore-command.ts';
import { localCommand } from './local-command.ts';
import { renewCommand } from './renew-command.ts';
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
    return report(error, io);
  }
}

function report(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help/version text).
    const informational = ['commander.helpDisplayed', 'commander.version'];
    return informational.includes(error.code) ? EXIT.OK : EXIT.USAGE;
  }
  if (error instanceof CliExit) {
    io.err(`acme-ha: ${error.message}\n`);
    return error.exitCode as ExitCode;
  }
  if (error instanceof CliInputError) {
    io.err(`acme-ha: ${error.message}\n`);
    return EXIT.USAGE;
  }
  if (error instanceof InvalidInputError) {
    io.err(`acme-ha: ${error.message}\n`);
    return EXIT.INVALID_INPUT;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.err(`acme-ha: ${error instanceof AcmeHaError ? '' : 'unexpected error: '}${message}\n`);
  return EXIT.FAILURE;
}
