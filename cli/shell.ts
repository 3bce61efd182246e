/**
 * The one shell of every `acme-ha` executable (the full CLI, the agent bundle, the DMZ bundle):
 * builds the command tree from an entry list, runs one command line, and turns whatever it threw
 * into one line on stderr and an exit code. Commands never exit the process themselves.
 */
import { Command, CommanderError } from 'commander';
import { UnsetSecretVariableError } from '../adapters/secrets/env-secret-resolver.ts';
import { AcmeHaError, InvalidInputError } from '../core/errors.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { CliExit, CliInputError, type CliIo } from './io.ts';
import { VERSION } from './version.ts';

/** A command of an entry list: made for the io it writes to. */
export type CommandFactory = (io: CliIo) => Command;

/** The root command of one executable: `acme-ha` with the given subcommands. */
export function program(description: string, commands: readonly CommandFactory[], io: CliIo): Command {
  const root = new Command('acme-ha').description(description).version(VERSION);
  for (const make of commands) root.addCommand(make(io));
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
export async function runCli(root: Command, argv: readonly string[], io: CliIo): Promise<ExitCode> {
  try {
    await root.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (error) {
    return reportError(error, io);
  }
}

/** One line on stderr and the exit code for anything a command threw. */
export function reportError(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help/version text).
    const informational = ['commander.helpDisplayed', 'commander.version'];
    return informational.includes(error.code) ? EXIT.OK : EXIT.USAGE;
  }
  if (error instanceof CliExit) {
    io.err(`acme-ha: ${error.message}\n`);
    return error.exitCode as ExitCode;
  }
  // An unset variable is a command-line problem wherever it is read (README, exit codes).
  if (error instanceof CliInputError || error instanceof UnsetSecretVariableError) {
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
