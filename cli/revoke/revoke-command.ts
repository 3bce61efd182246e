import { Command, Option } from 'commander';
import { REVOCATION_REASONS } from '../../core/renewal/types.ts';
import type { CliIo } from '../io.ts';
import type { RevokeFlags } from './revoke-runner.ts';

export function revokeCommand(io: CliIo): Command {
  return new Command('revoke')
    .description(
      "revoke a certificate's current revision at its CA; the next run (or --renew, now) replaces it",
    )
    .requiredOption('--config <file>', 'certificate configuration (YAML)')
    .requiredOption('--certificate <id>', 'the certificate')
    .addOption(
      new Option('--reason <reason>', 'RFC 5280 reason')
        .choices(Object.keys(REVOCATION_REASONS))
        .default('unspecified'),
    )
    .option('--renew', 'order the replacement now and roll it out, as a scheduled run would')
    .option('--json', 'print one JSON object: { revoked, renewal }')
    .addHelpText(
      'after',
      '\nThe stack comes from the environment, as for `acme-ha renew`. With keyCompromise the replacement gets a\nnew key even under `key: { rotation: reuse }`. Revoking a revision revoked already asks nothing of the CA.',
    )
    .action(async (flags: RevokeFlags) => (await import('./revoke-runner.ts')).revoke(flags, io));
}
