import { Command, Option } from 'commander';
import { KEYSTORE_FORMATS } from '../../core/keystore/formats.ts';
import type { CliIo } from '../io.ts';
import type { BuildFlags, InspectFlags } from './keystore-runner.ts';

/** `acme-ha keystore build|inspect`; the keystore codecs load only when a command runs. */
export function keystoreCommand(io: CliIo): Command {
  const keystore = new Command('keystore').description('build and inspect JKS, PKCS#12 and PEM keystores');
  keystore
    .command('build')
    .description('turn a private key, its certificate and chain into a keystore')
    .requiredOption('--key <file>', 'PEM private key (PKCS#8, PKCS#1 or SEC1; not encrypted)')
    .requiredOption('--cert <file>', 'PEM certificate, leaf first; may hold the chain too')
    .option('--chain <file>', 'PEM intermediates, the leaf issuer first')
    .addOption(
      new Option('--format <format>', 'keystore format').choices(KEYSTORE_FORMATS).makeOptionMandatory(),
    )
    .requiredOption('--out <path>', 'output file (jks, pkcs12) or directory (pem)')
    .option('--alias <alias>', 'entry name in JKS and PKCS#12', 'acme-ha')
    .option('--password-env <var>', 'environment variable holding the keystore password (jks, pkcs12)')
    .option(
      '--key-password-env <var>',
      "environment variable holding the key entry's own password (jks, pkcs12; default: the keystore password)",
    )
    .option('--allow-expired', 'write a certificate outside its validity window, with a warning')
    .option('--json', 'print the result as one JSON object')
    .action(async (flags: BuildFlags) => (await import('./keystore-runner.ts')).build(flags, io));
  keystore
    .command('inspect')
    .description('read a keystore back: certificate, chain, and whether the key matches')
    .argument('<path>', 'JKS, PKCS#12 or PEM file, or a PEM directory (fullchain.pem, privkey.pem, …)')
    .option('--password-env <var>', 'environment variable holding the keystore password')
    .option(
      '--key-password-env <var>',
      "environment variable holding the key entry's own password (default: the keystore password)",
    )
    .option('--json', 'print the result as one JSON object')
    .action(async (file: string, flags: InspectFlags) =>
      (await import('./keystore-runner.ts')).inspect(file, flags, io),
    );
  return keystore;
}
