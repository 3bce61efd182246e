import { Command } from 'commander';
import type { CliIo } from '../io.ts';
import type { RolloverFlags } from './account-runner.ts';

export function accountCommand(io: CliIo): Command {
  return new Command('account').description("the renewer's ACME accounts").addCommand(
    new Command('rollover')
      .description('replace the account key at each CA the configuration orders from (RFC 8555 key change)')
      .requiredOption('--config <file>', 'certificate configuration (YAML)')
      .option('--json', 'print one JSON object: { accounts: [...] }')
      .addHelpText(
        'after',
        '\nThe stack comes from the environment, as for `acme-ha renew`. The new key is saved where the old one\nwas (the encrypted bucket) once the CA took it; the next order signs with it. A CA never ordered\nfrom has no account yet: it is listed and left alone.',
      )
      .action(async (flags: RolloverFlags) => (await import('./account-runner.ts')).rollover(flags, io)),
  );
}
