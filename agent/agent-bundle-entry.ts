/**
 * Entry point of the single-file agent bundle for nodes without npm (esbuild, see the design note
 * docs/design/2026-11-28-agent.md): only `agent` and `status`, so the bundle carries no ACME
 * client, no embedded stack and no tsx.
 */
import { Command } from 'commander';
import { agentCommand } from './cli/agent-command.ts';
import { processIo } from './cli/io.ts';
import { reportError } from './cli/report-error.ts';
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
  process.exitCode = reportError(error, processIo);
}
