/**
 * The full `acme-ha` command line (bin/acme-ha.js): every command. Each command module declares
 * its flags and loads its runner, and with it the AWS SDK, acme-client or the embedded stack, only
 * when it runs.
 */
import { accountCommand } from './account/account-command.ts';
import { agentCommand } from './agent/agent-command.ts';
import { dmzCommand } from './dmz/dmz-command.ts';
import type { ExitCode } from './exit-codes.ts';
import { importCommand } from './import/import-command.ts';
import { type CliIo, processIo } from './io.ts';
import { keystoreCommand } from './keystore/keystore-command.ts';
import { localCommand } from './local/local-command.ts';
import { planCommand } from './plan/plan-command.ts';
import { renewCommand } from './renew/renew-command.ts';
import { revokeCommand } from './revoke/revoke-command.ts';
import { rolloutCommand } from './rollout/rollout-command.ts';
import { program, runCli } from './shell.ts';
import { statusCommand } from './status/status-command.ts';

export const COMMANDS = [
  keystoreCommand,
  localCommand,
  planCommand,
  renewCommand,
  importCommand,
  revokeCommand,
  accountCommand,
  agentCommand,
  statusCommand,
  rolloutCommand,
  dmzCommand,
];

export function main(argv: readonly string[], io: CliIo = processIo): Promise<ExitCode> {
  return runCli(
    program("Let's Encrypt certificates for high-availability server clusters", COMMANDS, io),
    argv,
    io,
  );
}
