import type { Revision } from '../../renewal/types.ts';
import { RevisionVerificationError } from '../agent-errors.ts';
import { RolloutGate, recordServed } from '../rollout-slot.ts';
import type { AgentDeps } from './agent-deps.ts';
import {
  acquireRolloutSlot,
  halted,
  joinRollout,
  releaseRolloutSlot,
  waitForCanary,
} from './cluster-gate.ts';
import { download, onDiskMatches, type PlannedFile, remember } from './download.ts';
import { install } from './install.ts';
import { failureOf, type SyncOutcome } from './outcome.ts';
import type { CertificatePlan } from './plan.ts';
import { settleRetired } from './retired.ts';
import { reportsInstalled } from './status-report.ts';
import { type RolloutContext, type SyncContext, type SyncProgress, startSync } from './sync-context.ts';

/**
 * Converges one certificate on this node to the newest published revision (or `hint`, if newer):
 * download, verify, and — only when bytes differ — take a cluster-wide rollout slot, write
 * atomically with backup, reload, and probe; on a failed reload or probe restore the backup, reload
 * again and halt the rollout for the other nodes. A retired certificate is only reported (and with
 * `purge` its files removed). Reports to the node status store throughout.
 * Never throws: every failure becomes an outcome (and a status record).
 */
export async function syncCertificate(
  deps: AgentDeps,
  plan: CertificatePlan,
  options: {
    readonly hint?: number;
    readonly signal?: AbortSignal;
    /** Of a retired certificate, delete the files (`agent sync --purge`). */
    readonly purge?: boolean;
  } = {},
): Promise<SyncOutcome> {
  const id = plan.certificateId;
  // The node's record, its status and the certificate's state are read at the same time; a
  // rejection is handled by its await below, not unhandled meanwhile.
  const reads = { installed: deps.installed.get(id), state: deps.state.get(id) };
  for (const read of Object.values(reads)) read.catch(() => undefined);
  const { ctx, progress } = await startSync(deps, plan, options.signal);
  const { log } = deps;
  try {
    // Known before the state: a failure to read it still reports what this node has installed.
    const installed = await reads.installed;
    progress.installed = installed;
    const state = await reads.state;
    progress.desired = state.current;
    if (state.retiredAt)
      return await settleRetired(ctx, progress, {
        retiredAt: state.retiredAt,
        purge: options.purge ?? false,
      });
    const desired = await newestOf(deps, id, state.current, options.hint);
    progress.desired = desired;
    if (!desired) return ctx.outcome('no-revision');
    if (installed && desired.revision < installed.revision) {
      log.info('revision obsolete', {
        certificateId: id,
        revision: desired.revision,
        installed: installed.revision,
      });
      return ctx.outcome('obsolete');
    }
    if (
      installed &&
      desired.revision === installed.revision &&
      (await onDiskMatches(deps.files, installed))
    ) {
      await reportUpToDate(ctx, installed.revision);
      return ctx.outcome('up-to-date');
    }

    const files = await download(deps, plan, desired);
    if (!files.some((f) => f.changed)) return await keepUnchanged(ctx, progress, desired, files);
    const terms = desired.revision === state.current?.revision ? state.currentTerms : undefined;
    return await rollOut({ ...ctx, desired, installed, ...(terms !== undefined ? { terms } : {}) }, files);
  } catch (error) {
    return await failed(ctx, progress.desired, error);
  }
}

/**
 * The right bytes are already in place (an earlier run wrote them, or an operator did): no write
 * and no reload, only the record of what is installed.
 */
async function keepUnchanged(
  ctx: SyncContext,
  progress: SyncProgress,
  desired: Revision,
  files: readonly PlannedFile[],
): Promise<SyncOutcome> {
  const { deps } = ctx;
  progress.installed = await remember(deps, desired, files);
  deps.log.info('keystore unchanged', { certificateId: desired.certificateId, revision: desired.revision });
  await recordServed(deps, desired.certificateId, desired.revision, deps.clock.now());
  await ctx.report({ result: 'unchanged', errorCode: null, error: null });
  return ctx.outcome('unchanged');
}

/**
 * The revision to converge on: the state's current one, or the event's `hint` when that is newer
 * (the event may outrun a reader of the state item; the immutable revision record is enough).
 */
async function newestOf(
  deps: AgentDeps,
  id: string,
  current: Revision | null,
  hint: number | undefined,
): Promise<Revision | null> {
  if (hint === undefined || (current !== null && hint <= current.revision)) return current;
  return (await deps.state.getRevision(id, hint)) ?? current;
}

/** Through the cluster gate (canary, halt, slot) to the install, and the slot back afterwards. */
async function rollOut(ctx: RolloutContext, files: readonly PlannedFile[]): Promise<SyncOutcome> {
  const { deps, desired, signal } = ctx;
  const rollout = await waitForCanary(ctx, await joinRollout(ctx));
  if (rollout === 'interrupted') return ctx.outcome('interrupted');
  if (!rollout || rollout.state === 'halted') return halted(ctx, rollout);

  const gate = new RolloutGate(deps.rollouts, ctx.plan.certificateId, desired.revision, rollout);
  const slot = await acquireRolloutSlot(ctx, rollout.maxParallel, gate);
  if (!slot) {
    deps.log.warn('no rollout slot', { certificateId: ctx.plan.certificateId, revision: desired.revision });
    return ctx.outcome('interrupted', {
      message: signal?.aborted ? 'shutting down' : 'no rollout slot in time',
    });
  }
  try {
    // As read again with the slot held: a node that held it before us may have failed meanwhile.
    const current = gate.rollout;
    if (!current || current.state === 'halted') return await halted(ctx, current);
    const canary = current.canary === deps.nodeId && current.state === 'canary';
    return await install(ctx, files, { name: slot.name, canary });
  } finally {
    await releaseRolloutSlot(ctx, slot);
  }
}

/**
 * The report of a node that has the revision, rewritten only when it says otherwise (a failure
 * report left behind, e.g. one that reached a flapping store, also recording in the rollout what
 * such a store may have lost: the install's `served`). That the node is alive its heartbeat says,
 * written once per reconcile whatever it serves.
 */
async function reportUpToDate(ctx: SyncContext, revision: number): Promise<void> {
  const { deps, previous, plan } = ctx;
  if (reportsInstalled(previous, revision)) return;
  await recordServed(deps, plan.certificateId, revision, deps.clock.now());
  await ctx.report({ result: 'unchanged' });
}

/** A failure outside the rollback: a rejected revision or another error, logged and reported. */
async function failed(ctx: SyncContext, desired: Revision | null, error: unknown): Promise<SyncOutcome> {
  const { code, message } = failureOf(error);
  const fields = {
    certificateId: ctx.plan.certificateId,
    revision: desired?.revision,
    errorCode: code,
    error: message,
  };
  if (error instanceof RevisionVerificationError) {
    ctx.deps.log.error('revision rejected', fields);
    await ctx.report({ result: 'rejected', errorCode: code, error: message });
    return ctx.outcome('rejected', { errorCode: code, message });
  }
  ctx.deps.log.error('sync failed', fields);
  await ctx.report({ result: 'failed', errorCode: code, error: message });
  return ctx.outcome('failed', { errorCode: code, message });
}
