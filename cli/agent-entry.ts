/**
 * Entry point of the self-contained agent bundle (dist/agent/) for nodes without npm (build/package-agent.ts, see
 * the design note docs/design/2026-11-28-agent.md): only `agent` and `status`, so the bundle
 * carries no ACME client, no embedded stack and no tsx.
 */
import { agentCommand } from './agent/agent-command.ts';
import { endOutputQuietly, processIo } from './io.ts';
import { program, runCli } from './shell.ts';
import { statusCommand } from './status/status-command.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
endOutputQuietly();
process.exitCode = await runCli(
  program('acme-ha node agent', [agentCommand, statusCommand], processIo),
  process.argv.slice(2),
  processIo,
);
