import { Command } from 'commander';
import type { CliIo } from '../io.ts';
import type { DaemonFlags, SyncFlags } from './agent-runner.ts';
import type { InstallFlags } from './install-runner.ts';

/** `acme-ha agent run|sync|install`; the runners load the AWS SDK only when a command runs. */
export function agentCommand(io: CliIo): Command {
  const agent = new Command('agent').description(
    'the node agent: install published keystores, reload, probe, report',
  );
  agent
    .command('run')
    .description(
      'run as a daemon: reconcile, long-poll the node queue, install each new revision (JSON logs on stdout)',
    )
    .requiredOption('--config <file>', 'agent configuration (YAML)')
    .option('--verbose', 'debug-level logs')
    .action(async (flags: DaemonFlags) => (await import('./agent-runner.ts')).runDaemon(flags, io));
  agent
    .command('sync')
    .description('converge once on the published revisions and exit; the exit code says what happened')
    .requiredOption('--config <file>', 'agent configuration (YAML)')
    .option('--json', 'print one JSON object with every outcome')
    .option('--verbose', 'print the structured log to stderr')
    .option(
      '--purge',
      'delete the files of retired certificates (left the configuration) and their backups; servers are not reloaded',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 converged (applied, unchanged, up to date, retired or purged), 4 a revision was rejected, rolled back or\nfailed, 5 not converged without a failure here (rollout halted by another node, no slot in time).',
    )
    .action(async (flags: SyncFlags) => (await import('./agent-runner.ts')).syncCommand(flags, io));
  agent
    .command('install')
    .description('install the agent as a systemd service: dedicated user, hardened unit, config permissions')
    .requiredOption('--config <file>', 'agent configuration (YAML)')
    .option('--dry-run', 'print what would be done, change nothing')
    .option('--bin <path>', 'the agent executable the unit runs (default: this acme-ha)')
    .action(async (flags: InstallFlags) => (await import('./install-runner.ts')).install(flags, io));
  return agent;
}
