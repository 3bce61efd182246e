/**
 * Retirement: a certificate that leaves the configuration is marked retired on the state item at
 * the next run (never deleted), and one that comes back is in service again. Nodes read the mark
 * with the state item they read anyway, stop installing the certificate and report it retired; its
 * keystores stay in S3 under the bucket's version lifecycle. See
 * docs/design/2026-12-06-certificate-lifecycle.md.
 */
import type { CertificateStateStore } from '../ports/certificate-state-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { CertificateCatalog } from './types.ts';

/** What a run changes in the catalog. */
export interface CatalogChange {
  /** Left the configuration: retired now. */
  readonly retired: readonly string[];
  /** Retired before, in the configuration again. */
  readonly restored: readonly string[];
  /** Never known before (their first run issues them). */
  readonly added: readonly string[];
  /** The catalog after the change. */
  readonly certificates: CertificateCatalog['certificates'];
}

/** The change that makes `catalog` agree with the configured certificate ids (pure). */
export function catalogChange(
  catalog: CertificateCatalog,
  configured: readonly string[],
  now: Date,
): CatalogChange {
  const inConfig = new Set(configured);
  const known = catalog.certificates;
  const retired = Object.keys(known).filter((id) => !inConfig.has(id) && known[id] === null);
  const restored = configured.filter((id) => typeof known[id] === 'string');
  const added = configured.filter((id) => !(id in known));
  const at = now.toISOString();
  const certificates = Object.fromEntries(
    [...Object.entries(known), ...added.map((id) => [id, null] as const)]
      .map(([id, since]): [string, string | null] => [id, inConfig.has(id) ? null : (since ?? at)])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return { retired: retired.sort(), restored, added, certificates };
}

/** The catalog has nothing to change. */
export function unchanged(change: CatalogChange): boolean {
  return change.retired.length + change.restored.length + change.added.length === 0;
}

/**
 * The catalog as a run compares it: the saved one, or before the first save the certificates the
 * store already holds (one Scan in the table's life).
 */
export async function currentCatalog(
  state: Pick<CertificateStateStore, 'catalog' | 'knownCertificates'>,
): Promise<CertificateCatalog> {
  const catalog = await state.catalog();
  return catalog.version > 0 ? catalog : { certificates: await state.knownCertificates(), version: 0 };
}

export interface CatalogDeps {
  readonly state: Pick<
    CertificateStateStore,
    'catalog' | 'knownCertificates' | 'saveCatalog' | 'recordRetirement'
  >;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * Brings the catalog in line with the configuration: marks the certificates that left it retired and
 * those that came back in service, then saves the catalog. One read when nothing changed. The marks
 * are written before the catalog, so a run that dies between them repeats them next time (each is
 * idempotent); a catalog another run saved meanwhile wins, and this run changes nothing more.
 */
export async function reconcileCatalog(
  configured: readonly string[],
  deps: CatalogDeps,
): Promise<CatalogChange> {
  const catalog = await currentCatalog(deps.state);
  const change = catalogChange(catalog, configured, deps.clock.now());
  if (unchanged(change) && catalog.version > 0) return change;
  for (const id of change.retired) {
    await deps.state.recordRetirement(id, change.certificates[id] ?? null);
    deps.log.warn('certificate retired', {
      certificateId: id,
      note: 'no longer in the configuration: nodes stop installing it and keep its files',
    });
  }
  for (const id of change.restored) {
    await deps.state.recordRetirement(id, null);
    deps.log.info('certificate in service again', { certificateId: id });
  }
  if (!(await deps.state.saveCatalog(change.certificates, catalog))) {
    deps.log.info('catalog saved by another run meanwhile', { version: catalog.version });
  }
  return change;
}
