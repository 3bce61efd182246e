import { Command } from 'commander';
import type { CliIo } from '../io.ts';
import type { RenewFlags } from './renew-runner.ts';

export function renewCommand(io: CliIo): Command {
  return new Command('renew')
    .description('run the renewer once: order every due certificate and publish its keystores')
    .requiredOption('--config <file>', 'certificate configuration (YAML)')
    .option('--certificate <id>', 'only this certificate')
    .option('--force', 'order even when nothing is due')
    .option('--json', 'print one JSON object with every outcome')
    .option('--verbose', 'print the structured log to stderr')
    .addHelpText(
      'after',
      '\nThe stack comes from the environment: ACME_HA_TABLE, ACME_HA_BUCKET, ACME_HA_TOPIC_ARN and the AWS\nSDK settings (`acme-ha local up` prints them for the embedded stack). ACME_HA_ACME_DIRECTORY_URL, when set,\nreplaces the default ACME directory of the configuration.',
    )
    .action(async (flags: RenewFlags) => (await import('./renew-runner.ts')).renew(flags, io));
}
