import { createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { readConfigFile } from '../../adapters/fs/config-file.ts';
import { readInputFile } from '../../adapters/fs/input-file.ts';
import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { configSchema } from '../../core/config/certificate-config.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import type { RenewalOutcome } from '../../core/renewal/renew-certificate.ts';
import { runRenewals } from '../../core/renewal/run-renewals.ts';
import { createControlPlane, settingsFromEnv } from '../../functions/commons/compose-control-plane.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, type CliIo } from '../io.ts';

export interface RenewFlags {
  config: string;
  certificate?: string;
  force?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** `acme-ha renew`: loaded only when the command runs (it pulls in the AWS SDK and acme-client). */
export async function renew(flags: RenewFlags, io: CliIo): Promise<void> {
  const file = await readConfigFile(flags.config, 'configuration', configSchema);
  // The embedded stack's Pebble listens on a new port at every start: `local up` exports it.
  const directory = io.env.ACME_HA_ACME_DIRECTORY_URL;
  const config = directory ? { ...file, defaults: { ...file.defaults, directory } } : file;
  if (flags.certificate && !config.certificates.some((c) => c.id === flags.certificate)) {
    throw new CliExit(EXIT.INVALID_INPUT, `no certificate ${flags.certificate} in ${flags.config}`);
  }
  const settings = settingsFromEnv(io.env);
  const bundle = settings.ACME_HA_CA_BUNDLE;
  const caPem =
    bundle && !bundle.startsWith('-----BEGIN')
      ? (await readInputFile(bundle, 'CA bundle')).toString()
      : bundle;
  const clients = createAwsClients();
  // The outcome lines say what happened; the structured log is for --verbose (and for the Lambda).
  const log = flags.verbose ? new JsonLogger((line) => io.err(line), 'acme-ha-renew', 'debug') : silentLogger;
  try {
    const plane = createControlPlane({ ...settings, ACME_HA_CA_BUNDLE: caPem }, clients, {
      log,
      clock: { now: io.now },
      env: io.env,
      email: config.account.email,
    });
    const started = performance.now();
    const result = await runRenewals(config, plane, {
      force: flags.force ?? false,
      certificateId: flags.certificate,
      onOutcome: (outcome) => {
        if (!flags.json)
          io.out(`${line(outcome)} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      },
    });
    if (flags.json) io.out(`${JSON.stringify(result)}\n`);
    else if (result.remaining.length) io.out(`not reached this run: ${result.remaining.join(', ')}\n`);
    const failed = result.outcomes.filter((o) => o.result === 'failed');
    if (failed.length)
      throw new CliExit(
        EXIT.WORK_FAILED,
        `${failed.length} of ${result.outcomes.length} certificate(s) failed`,
      );
  } finally {
    clients.destroy();
  }
}

function line(outcome: RenewalOutcome): string {
  switch (outcome.result) {
    case 'renewed':
      return `${outcome.certificateId}: renewed (${outcome.reason}) → revision ${outcome.revision}, serial ${outcome.serial}`;
    case 'skipped':
      return `${outcome.certificateId}: not due (${outcome.reason}${outcome.nextCheckAt ? `, next check ${outcome.nextCheckAt}` : ''})`;
    case 'locked':
      return `${outcome.certificateId}: skipped, ${outcome.reason}`;
    case 'failed':
      return `${outcome.certificateId}: FAILED ${outcome.errorCode}: ${outcome.message} (next attempt ${outcome.nextAttemptAt})`;
  }
}
