import { targetFilePath } from './download.ts';
import type { SyncOutcome } from './outcome.ts';
import type { SyncContext, SyncProgress } from './sync-context.ts';

/**
 * A retired certificate on this node (core/renewal/retire-certificates.ts): nothing is installed or
 * reloaded, and the status record says `retired` (rewritten when it says otherwise). With `purge`,
 * the files this node writes for the certificate — every target's files and those of the installed
 * record — are deleted with their backups, and the installed record is forgotten. The servers are
 * not reloaded: one still configured to use the files would fail its next start, which is why
 * purging is a command of its own.
 */
export async function settleRetired(
  ctx: SyncContext,
  progress: SyncProgress,
  retirement: { readonly retiredAt: string; readonly purge: boolean },
): Promise<SyncOutcome> {
  const { deps, plan, previous } = ctx;
  const certificateId = plan.certificateId;
  if (!retirement.purge) {
    if (previous?.result !== 'retired') await ctx.report({ result: 'retired' });
    deps.log.info('certificate retired', { certificateId, retiredAt: retirement.retiredAt });
    return ctx.outcome('retired', {
      message: `retired since ${retirement.retiredAt}; its files stay until \`agent sync --purge\``,
    });
  }
  const paths = new Set([
    ...plan.targets.flatMap((t) =>
      t.selection.format === 'pem' ? t.selection.pemFiles.map((name) => targetFilePath(t, name)) : [t.path],
    ),
    ...Object.keys(progress.installed?.files ?? {}),
  ]);
  let removed = 0;
  for (const path of paths) if (await deps.files.remove(path)) removed++;
  await deps.installed.remove(certificateId);
  progress.installed = null;
  // Nothing is aimed at any more: no target revision, no notAfter for the node's expiry metric.
  progress.desired = null;
  await ctx.report({ result: 'retired', revisionServed: null, servedSerial: null });
  deps.log.warn('retired certificate purged', { certificateId, files: removed });
  return ctx.outcome('purged', { message: `${removed} file(s) removed with their backups` });
}
