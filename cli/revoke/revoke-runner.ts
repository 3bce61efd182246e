import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import type { RenewalOutcome } from '../../core/renewal/renew-certificate.ts';
import { revokeCurrent } from '../../core/renewal/revoke-certificate.ts';
import { runRenewals } from '../../core/renewal/run-renewals.ts';
import type { RevocationReason } from '../../core/renewal/types.ts';
import { readFleetConfig, withControlPlane } from '../control-plane-cli.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, type CliIo, whereTheDetailIs } from '../io.ts';
import { renewalLine, requireEnvSecrets } from '../renew/renew-runner.ts';

export interface RevokeFlags {
  config: string;
  certificate: string;
  reason: RevocationReason;
  renew?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** `acme-ha revoke`: revoke the current revision at its CA, record it, and with `--renew` replace it now. */
export async function revoke(flags: RevokeFlags, io: CliIo): Promise<void> {
  const config = await readFleetConfig(flags.config, io);
  const cert = config.certificates.find((c) => c.id === flags.certificate);
  if (!cert) throw new CliExit(EXIT.INVALID_INPUT, `no certificate ${flags.certificate} in ${flags.config}`);
  // The keystore passwords open the revision (to find its certificate) and build the replacement's.
  requireEnvSecrets([cert], io.env, flags.config);
  const log = flags.verbose
    ? new JsonLogger((line) => io.err(line), 'acme-ha-revoke', 'debug')
    : silentLogger;
  await withControlPlane(config, io, log, async (plane) => {
    const { revocation, already } = await revokeCurrent(cert, flags.reason, plane);
    if (!flags.json)
      io.out(
        already
          ? `${cert.id}: revision ${revocation.revision} (serial ${revocation.serial}) was revoked already (${revocation.reason}, ${revocation.revokedAt})\n`
          : `${cert.id}: revision ${revocation.revision} (serial ${revocation.serial}) revoked (${revocation.reason}); the next run replaces it\n`,
      );
    let renewal: RenewalOutcome | null = null;
    if (flags.renew) {
      [renewal = null] = (await runRenewals(config, plane, { certificateId: cert.id })).outcomes;
      if (!flags.json && renewal) io.out(`${renewalLine(renewal)}\n`);
    }
    if (flags.json) io.out(`${JSON.stringify({ revoked: { ...revocation, already }, renewal })}\n`);
    if (renewal?.result === 'failed')
      throw new CliExit(
        EXIT.WORK_FAILED,
        `revoked, but the replacement failed (${whereTheDetailIs(flags.json)})`,
      );
  });
}
