/**
 * Entry point of the single-file agent bundle for nodes without npm (esbuild, see the design note
 * docs/design/2026-11-28-agent.md): only `agent` and `status`, so the bundle carries no ACME
 * client, no embedded stack and no tsx.
 */
import { Command, CommanderError } from 'commander';
import { InvalidInputError } from '../core/errors.ts';
import { agentCommand } from './cli/agent-command.ts';
import { EXIT } from './cli/exit-codes.ts';
import { CliExit, processIo } from './cli/io.ts';
import { statusCommand } from './cli/status-command.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = new Command('acme-ha')
  .description('acme-ha node agent')
  .addCommand(agentCommand(processIo))
  .addCommand(statusCommand(processIo))
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
        : error instanceof InvalidInputError
          ? EXIT.INVALID_INPUT
          : EXIT.FAILURE;
  }
}
