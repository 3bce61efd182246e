import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import type { CertificateConfig } from '../../core/config/certificate-config.ts';
import { secretReferences } from '../../core/config/secret-references.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import type { RenewalOutcome } from '../../core/renewal/renew-certificate.ts';
import { runRenewals } from '../../core/renewal/run-renewals.ts';
import { readFleetConfig, withControlPlane } from '../control-plane-cli.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, CliInputError, type CliIo, whereTheDetailIs } from '../io.ts';

export interface RenewFlags {
  config: string;
  certificate?: string;
  force?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** `acme-ha renew`: loaded only when the command runs (it pulls in the AWS SDK and acme-client). */
export async function renew(flags: RenewFlags, io: CliIo): Promise<void> {
  const config = await readFleetConfig(flags.config, io);
  if (flags.certificate && !config.certificates.some((c) => c.id === flags.certificate)) {
    throw new CliExit(EXIT.INVALID_INPUT, `no certificate ${flags.certificate} in ${flags.config}`);
  }
  // The outcome lines say what happened; the structured log is for --verbose (and for the Lambda).
  const log = flags.verbose ? new JsonLogger((line) => io.err(line), 'acme-ha-renew', 'debug') : silentLogger;
  await withControlPlane(config, io, log, async (plane) => {
    // After the stack's variables (checked first, by withControlPlane), before any order.
    requireEnvSecrets(
      config.certificates.filter((c) => !flags.certificate || c.id === flags.certificate),
      io.env,
      flags.config,
    );
    const started = performance.now();
    const result = await runRenewals(config, plane, {
      force: flags.force ?? false,
      certificateId: flags.certificate,
      onOutcome: (outcome) => {
        if (!flags.json)
          io.out(`${renewalLine(outcome)} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      },
    });
    if (flags.json) io.out(`${JSON.stringify(result)}\n`);
    else {
      for (const id of result.catalog?.retired ?? [])
        io.out(
          `${id}: retired (no longer in ${flags.config}; nodes stop installing it and keep its files)\n`,
        );
      for (const id of result.catalog?.restored ?? []) io.out(`${id}: in service again\n`);
      if (result.remaining.length) io.out(`not reached this run: ${result.remaining.join(', ')}\n`);
    }
    const failed = result.outcomes.filter((o) => o.result === 'failed');
    if (failed.length)
      throw new CliExit(
        EXIT.WORK_FAILED,
        `${failed.length} of ${result.outcomes.length} certificate(s) failed (${whereTheDetailIs(flags.json)})`,
      );
  });
}

/**
 * The `{ env: VAR }` secrets of the certificates this run may renew, checked before anything is
 * ordered: the renewer reads a keystore password only after the CA issued, so an unset one would
 * cost an order (and a recorded failure with its backoff) to find out.
 */
export function requireEnvSecrets(
  certificates: readonly CertificateConfig[],
  env: NodeJS.ProcessEnv,
  configFile: string,
): void {
  const sources = secretReferences({ certificates }).map((r) => r.source);
  const unset = [...new Set(sources.flatMap((s) => ('env' in s && !env[s.env] ? [s.env] : [])))];
  if (unset.length > 0)
    throw new CliInputError(
      `environment variable${unset.length > 1 ? 's' : ''} ${unset.join(', ')} ${unset.length > 1 ? 'are' : 'is'} not set or empty (named as secrets in ${configFile})`,
    );
}

export function renewalLine(outcome: RenewalOutcome): string {
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
