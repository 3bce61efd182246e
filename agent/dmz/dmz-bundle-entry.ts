/**
 * Entry point of a single-file DMZ receiver bundle (esbuild): only `acme-ha dmz`, so the bundle —
 * and the receiver's module graph — carries no AWS SDK and no ACME client.
 * test/integration/dmz/module-graph.test.ts bundles this file and checks exactly that.
 */
import { Command, CommanderError } from 'commander';
import { InvalidInputError } from '../../core/errors.ts';
import { dmzCommand } from '../cli/dmz-command.ts';
import { EXIT } from '../cli/exit-codes.ts';
import { CliExit, CliInputError, processIo } from '../cli/io.ts';

const root = new Command('acme-ha')
  .description('acme-ha DMZ receiver')
  .addCommand(dmzCommand(processIo))
  .exitOverride();
try {
  await root.parseAsync(process.argv.slice(2), { from: 'user' });
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  else {
    process.stderr.write(`acme-ha: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode =
      error instanceof CliExit
        ? error.exitCode
        : error instanceof CliInputError
          ? EXIT.USAGE
          : error instanceof InvalidInputError
            ? EXIT.INVALID_INPUT
            : EXIT.FAILURE;
  }
}
