import { Command } from 'commander';
import type { CliIo } from '../io.ts';
import type { ImportFlags } from './import-runner.ts';

export function importCommand(io: CliIo): Command {
  return new Command('import')
    .description(
      'adopt a certificate the cluster already serves as revision 1: no CA request, installed as usual',
    )
    .requiredOption('--config <file>', 'certificate configuration (YAML)')
    .requiredOption('--certificate <id>', 'the certificate it becomes')
    .requiredOption(
      '--keystore <path>',
      'a JKS or PKCS#12 file, a PEM file with key and chain, or a directory of PEM files',
    )
    .option('--password-env <var>', 'environment variable holding the keystore password (JKS, PKCS#12)')
    .option('--key-password-env <var>', "environment variable holding the key entry's own password, if any")
    .option('--json', 'print the published revision as JSON')
    .addHelpText(
      'after',
      '\nChecked as an issued certificate is: the key matches, the chain is in order, it is valid now, its names\nare the configured domains and its key the configured keyType. The stack comes from the environment, as\nfor `acme-ha renew`. Exit 3, nothing written, when any check fails or the certificate has a revision.',
    )
    .action(async (flags: ImportFlags) => (await import('./import-runner.ts')).importKeystore(flags, io));
}
