import { CommanderError } from 'commander';
import { AcmeHaError, InvalidInputError } from '../../core/errors.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { CliExit, CliInputError, type CliIo } from './io.ts';

/** One line on stderr and the exit code for anything a command threw (the full CLI and the agent bundle). */
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
