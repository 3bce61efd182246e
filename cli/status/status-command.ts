import { Command } from 'commander';
import {
  DEFAULT_LAG_GRACE_MINUTES,
  DEFAULT_SILENT_AFTER_MINUTES,
} from '../../core/fleet/fleet-thresholds.ts';
import type { CliIo } from '../io.ts';
import type { StatusFlags } from './status-runner.ts';

/** `acme-ha status`: the fleet per certificate; the runner loads the AWS SDK only when it runs. */
export function statusCommand(io: CliIo): Command {
  return new Command('status')
    .description(
      'show the fleet per certificate: who serves which revision, who lags, failed or went silent, and since when',
    )
    .option(
      '--config <file>',
      'certificate configuration (YAML): every certificate in it, and the nodes and DMZ instances that should hold each',
    )
    .option('--certificate <id...>', 'these certificates (instead of, or besides, --config)')
    .option('--json', 'print one JSON object: { healthy, certificates: [...] }')
    .option(
      '--silent-after <minutes>',
      `a node that has not reported for this long is silent (default ${DEFAULT_SILENT_AFTER_MINUTES})`,
    )
    .option(
      '--lag-grace <minutes>',
      `a node behind the current revision for longer than this is unhealthy (default ${DEFAULT_LAG_GRACE_MINUTES})`,
    )
    .option(
      '--expiry-days <days>',
      'a node serving a certificate with fewer days left is unhealthy (default by profile: classic 14, tlsserver 7, shortlived 1)',
    )
    .addHelpText(
      'after',
      [
        '',
        'Reads the table named by ACME_HA_TABLE with the standard AWS SDK settings (`acme-ha local up` prints them).',
        'Without --config, declared nodes that never reported cannot be known: only nodes that reported are listed.',
        '',
        'Exit codes: 0 the fleet is healthy; 4 a node or DMZ instance failed, is silent (or never reported),',
        'lags beyond the grace, or serves a certificate about to expire (stderr names them); 2 bad flags',
        'or ACME_HA_TABLE unset; 3 a bad configuration file.',
      ].join('\n'),
    )
    .action(async (flags: StatusFlags) => (await import('./status-runner.ts')).status(flags, io));
}
