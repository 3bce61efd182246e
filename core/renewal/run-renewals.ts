import type { AcmeHaConfig } from '../config/certificate-config.ts';
import { AcmeHaError } from '../errors.ts';
import { type RenewalOutcome, type RenewerDeps, renewCertificate } from './renew-certificate.ts';
import { type CatalogChange, reconcileCatalog } from './retire-certificates.ts';

export interface RunOptions {
  readonly force?: boolean;
  /** Only this certificate. */
  readonly certificateId?: string;
  /** Start no new certificate after this moment (a Lambda's remaining time, minus a margin). */
  readonly startBefore?: Date;
  /** Called as each certificate finishes, for progress output. */
  readonly onOutcome?: (outcome: RenewalOutcome) => void;
}

export interface RunResult {
  readonly outcomes: readonly RenewalOutcome[];
  /** Certificates not looked at in this run (deadline or order budget); the next run continues. */
  readonly remaining: readonly string[];
  /** What the run changed in the catalog (retired, back in service, new); null for a run of one certificate. */
  readonly catalog: CatalogChange | null;
}

/**
 * One scheduled run: every certificate is looked at with at most `renewal.concurrency` in flight, no
 * more than `renewal.maxOrdersPerRun` orders are placed, and nothing new starts after `startBefore`,
 * so a run over thousands of certificates is split across invocations instead of being cut off.
 * A run over the whole configuration first retires the certificates that left it
 * (core/renewal/retire-certificates.ts).
 */
export async function runRenewals(
  config: AcmeHaConfig,
  deps: RenewerDeps,
  options: RunOptions = {},
): Promise<RunResult> {
  const catalog = options.certificateId ? null : await retireLeavers(config, deps);
  const queue = config.certificates.filter((c) => !options.certificateId || c.id === options.certificateId);
  const outcomes: RenewalOutcome[] = [];
  const remaining: string[] = [];
  let orders = 0;
  const worker = async () => {
    for (let cert = queue.shift(); cert; cert = queue.shift()) {
      const outOfTime = options.startBefore !== undefined && deps.clock.now() >= options.startBefore;
      if (outOfTime || orders >= config.renewal.maxOrdersPerRun) {
        remaining.push(cert.id);
        continue;
      }
      const outcome = await renewCertificate(config, cert, deps, { force: options.force ?? false }).catch(
        // A store that fails before the order (reading the state, taking the lease) fails this
        // certificate, not the whole run.
        (error: unknown): RenewalOutcome => ({
          certificateId: cert.id,
          result: 'failed',
          reason: 'store unavailable',
          errorCode: error instanceof AcmeHaError ? error.code : 'UNEXPECTED',
          message: error instanceof Error ? error.message : String(error),
          nextAttemptAt: deps.clock.now().toISOString(),
        }),
      );
      if (outcome.result === 'renewed' || outcome.result === 'failed') orders++;
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: config.renewal.concurrency }, worker));
  return { outcomes, remaining, catalog };
}

/** The catalog brought in line; a store that fails here is logged, and the renewals go on. */
async function retireLeavers(config: AcmeHaConfig, deps: RenewerDeps): Promise<CatalogChange | null> {
  try {
    return await reconcileCatalog(
      config.certificates.map((c) => c.id),
      deps,
    );
  } catch (error) {
    deps.log.error('catalog not reconciled', {
      error: error instanceof Error ? error.message : String(error),
    });
    return null;
  }
}
