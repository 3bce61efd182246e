import { Command } from 'commander';
import type { CliIo } from '../io.ts';
import type { StatusFlags } from './status-runner.ts';

/** `acme-ha status`: the fleet per certificate; the runner loads the AWS SDK only when it runs. */
export function statusCommand(io: CliIo): Command {
  return new Command('status')
    .description(
      'show the fleet per certificate: who serves which revision, who lags, who failed and since when',
    )
    .option('--config <file>', 'certificate configuration (YAML): every certificate in it')
    .option('--certificate <id...>', 'these certificates (instead of, or besides, --config)')
    .option('--json', 'print one JSON object: { certificates: [...] }')
    .addHelpText(
      'after',
      '\nReads the table named by ACME_HA_TABLE with the standard AWS SDK settings (`acme-ha local up` prints them).',
    )
    .action(async (flags: StatusFlags) => (await import('./status-runner.ts')).status(flags, io));
}
