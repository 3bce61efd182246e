import { Command } from 'commander';
import type { CliIo } from '../io.ts';
import type { DmzPairFlags } from './pair-runner.ts';
import type { DmzServeFlags } from './serve-runner.ts';

/** `acme-ha dmz serve|pair`; the runners are loaded only when a command runs (no AWS SDK, no ACME). */
export function dmzCommand(io: CliIo): Command {
  const dmz = new Command('dmz').description(
    'DMZ instances: receive pushed keystores over mutual TLS (no ACME, no cloud access), pair with internal nodes',
  );
  dmz
    .command('serve')
    .description(
      'run the receiver: verify each pushed revision, write with backup, reload, probe, roll back on failure (JSON logs on stdout)',
    )
    .requiredOption('--config <file>', 'receiver configuration (YAML), see docs/dmz.md')
    .option('--verbose', 'debug-level logs')
    .action(async (flags: DmzServeFlags) => (await import('./serve-runner.ts')).serve(flags, io));
  dmz
    .command('pair')
    .description(
      "create the receiver's certificate and an internal client identity (files 0600), print fingerprints and config snippets",
    )
    .requiredOption('--out <dir>', 'directory to create (dmz/ and internal/ inside, mode 0700)')
    .option('--dmz-name <host>', 'the DMZ host name or IP address internal nodes connect to', 'localhost')
    .option(
      '--dmz-id <id>',
      "the DMZ instance's id in the certificate configuration (default: from --dmz-name)",
    )
    .option('--client-name <node>', 'the internal client identity (default: this host name)')
    .option('--port <port>', 'receiver port for the printed URL', '8443')
    .option('--days <n>', 'validity of both certificates', '1095')
    .option('--json', 'print one JSON object (paths, fingerprints) instead of instructions')
    .action(async (flags: DmzPairFlags) => (await import('./pair-runner.ts')).pair(flags, io));
  return dmz;
}
