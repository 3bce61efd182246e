import { Command } from 'commander';
import type { CliIo } from '../io.ts';
import type { PlanFlags } from './plan-runner.ts';

export function planCommand(io: CliIo): Command {
  return new Command('plan')
    .description(
      'what the next renewer run would order and why, and who would install it: no CA request, no write',
    )
    .requiredOption('--config <file>', 'certificate configuration (YAML)')
    .option('--certificate <id...>', 'only these certificates')
    .option('--json', 'print one JSON object: { certificates: [...] }')
    .addHelpText(
      'after',
      "\nReads the state table (ACME_HA_TABLE and the AWS SDK settings; `acme-ha local up` prints them). The\nCA's renewal window (ARI) is the one the last run stored; the run itself asks the CA again. Exit 0\nwhether due or not; 2 with the stack's variables unset; 3 for a bad configuration or certificate.",
    )
    .action(async (flags: PlanFlags) => (await import('./plan-runner.ts')).plan(flags, io));
}
