/**
 * The node's side of an install, inside its rollout slot: take the node out of its load balancer's
 * rotation where a target says so (and stop there if that fails: nothing written, nothing
 * reloaded), write the changed files atomically (with backups), reload each server once, and wait
 * until the probes see the new certificate, then back into rotation; when the reload or the probe
 * fails, halt the rollout for the other nodes, restore the backups and reload again, and rejoin
 * only once the old certificate is served again.
 */
import { recordServed } from '../rollout-slot.ts';
import type { AgentDeps } from './agent-deps.ts';
import { type PlannedFile, remember } from './download.ts';
import { drainAll, drainsOf, readyAll } from './drain.ts';
import { failureOf, type SyncOutcome } from './outcome.ts';
import type { PlannedDrain, PlannedTarget } from './plan.ts';
import { waitUntilServed } from './probe.ts';
import type { RolloutContext } from './sync-context.ts';

/** The slot this node holds, and whether it holds it as the canary. */
export interface HeldSlot {
  readonly name: string;
  readonly canary: boolean;
}

/** What an install changed before it failed: what a rollback must undo. */
interface FailedInstall {
  readonly touched: readonly PlannedTarget[];
  readonly written: readonly string[];
  readonly reloadStartedAt: string;
  readonly error: unknown;
}

/** Writes, reloads and probes; promotes the rollout when this node is its canary. */
export async function install(
  ctx: RolloutContext,
  files: readonly PlannedFile[],
  slot: HeldSlot,
): Promise<SyncOutcome> {
  const { deps, desired } = ctx;
  const id = ctx.plan.certificateId;
  const reloadStartedAt = await announce(ctx, slot);
  const touched = distinctTargets(files.filter((f) => f.changed));
  const drains = drainsOf(touched);
  try {
    await drainAll(deps, drains, id);
  } catch (error) {
    return await drainFailed(ctx, drains, reloadStartedAt, error);
  }
  const written = await writeChanged(ctx, files);
  try {
    await reloadAll(deps, touched, id);
    await waitUntilServed(deps, touched, desired.serial);
  } catch (error) {
    return await rollBack(ctx, { touched, written, reloadStartedAt, error });
  }
  const record = await remember(deps, desired, files);
  // Served and proven: the canary's result counts, whether or not the balancer takes the node back.
  if (slot.canary) await deps.rollouts.promote(id, desired.revision, deps.nodeId, deps.clock.now());
  await recordServed(deps, id, desired.revision, deps.clock.now());
  const outOfRotation = await rejoin(ctx, drains, record.revision, reloadStartedAt);
  if (outOfRotation) return outOfRotation;
  deps.log.info('reload finished', {
    certificateId: id,
    revision: desired.revision,
    serial: desired.serial,
    canary: slot.canary,
  });
  const probed = touched.some((t) => t.probes.length > 0);
  await ctx.report({
    result: 'applied',
    revisionOnDisk: record.revision,
    revisionServed: probed ? desired.revision : null,
    servedSerial: probed ? desired.serial : null,
    reloadStartedAt,
    reloadFinishedAt: deps.clock.now().toISOString(),
    errorCode: null,
    error: null,
  });
  return ctx.outcome('applied', { installedRevision: record.revision });
}

/** Logs and reports that this node starts installing; @returns when it started */
async function announce(ctx: RolloutContext, slot: HeldSlot): Promise<string> {
  const reloadStartedAt = ctx.deps.clock.now().toISOString();
  ctx.deps.log.info('slot acquired', {
    certificateId: ctx.plan.certificateId,
    revision: ctx.desired.revision,
    slot: slot.name,
    canary: slot.canary,
  });
  await ctx.report({
    result: 'reloading',
    reloadStartedAt,
    reloadFinishedAt: null,
    errorCode: null,
    error: null,
  });
  return reloadStartedAt;
}

/**
 * Back into the load balancer's rotation after a good install.
 * @returns null when it is back (or never left); the failed outcome, reported, when it could not be
 */
async function rejoin(
  ctx: RolloutContext,
  drains: readonly PlannedDrain[],
  installedRevision: number,
  reloadStartedAt: string,
): Promise<SyncOutcome | null> {
  const { deps, desired } = ctx;
  try {
    await readyAll(deps, drains, desired.certificateId);
    return null;
  } catch (error) {
    const { code, message } = failureOf(error);
    deps.log.error('installed, but not back in rotation', {
      certificateId: desired.certificateId,
      errorCode: code,
      error: message,
    });
    await ctx.report({
      result: 'failed',
      revisionOnDisk: installedRevision,
      revisionServed: desired.revision,
      servedSerial: desired.serial,
      reloadStartedAt,
      reloadFinishedAt: deps.clock.now().toISOString(),
      errorCode: code,
      error: `installed and served, but not back in rotation: ${message}`,
    });
    return ctx.outcome('failed', { errorCode: code, message, installedRevision });
  }
}

/**
 * A load balancer that could not be told to drain: nothing was written or reloaded (a node is never
 * restarted while in rotation); those already drained are put back, and the next sync tries again.
 */
async function drainFailed(
  ctx: RolloutContext,
  drains: readonly PlannedDrain[],
  reloadStartedAt: string,
  error: unknown,
): Promise<SyncOutcome> {
  const { deps, desired, installed } = ctx;
  const { code, message } = failureOf(error);
  deps.log.error('drain failed, not reloading', {
    certificateId: desired.certificateId,
    errorCode: code,
    error: message,
  });
  await readyAll(deps, drains, desired.certificateId).catch(() => undefined);
  await ctx.report({
    result: 'failed',
    revisionOnDisk: installed?.revision ?? null,
    reloadStartedAt,
    reloadFinishedAt: deps.clock.now().toISOString(),
    errorCode: code,
    error: `not reloaded: ${message}`,
  });
  return ctx.outcome('failed', { errorCode: code, message });
}

/** @returns the paths written, in order */
async function writeChanged(ctx: RolloutContext, files: readonly PlannedFile[]): Promise<string[]> {
  const written: string[] = [];
  for (const file of files.filter((f) => f.changed)) {
    await ctx.deps.files.write(file);
    written.push(file.path);
  }
  ctx.deps.log.info('keystore written', {
    certificateId: ctx.plan.certificateId,
    revision: ctx.desired.revision,
    files: written.length,
  });
  return written;
}

function distinctTargets(files: readonly PlannedFile[]): PlannedTarget[] {
  return [...new Set(files.map((f) => f.target))];
}

/** Each distinct reload action once, in target order; two targets may share one server. */
async function reloadAll(
  deps: AgentDeps,
  targets: readonly PlannedTarget[],
  certificateId: string,
): Promise<void> {
  const done = new Set<string>();
  for (const target of targets) {
    const reloader = target.reloader;
    if (!reloader || done.has(reloader.description)) continue;
    done.add(reloader.description);
    const t0 = performance.now();
    await reloader.reload();
    deps.log.info('reloaded', {
      certificateId,
      action: reloader.description,
      ms: Math.round(performance.now() - t0),
    });
  }
}

async function rollBack(ctx: RolloutContext, failed: FailedInstall): Promise<SyncOutcome> {
  const { deps, desired, installed } = ctx;
  const id = desired.certificateId;
  const { code, message } = failureOf(failed.error);
  deps.log.error('reload failed, rolling back', {
    certificateId: id,
    revision: desired.revision,
    errorCode: code,
    error: message,
  });
  // Halt first: the others must not start reloading while we are still restoring.
  await deps.rollouts.halt(id, desired.revision, deps.nodeId, `${deps.nodeId}: ${message}`, deps.clock.now());
  const { servedAfter, problem } = await restorePrevious(ctx, failed);
  // Back in rotation with the old certificate; a node whose rollback did not take stays out.
  if (!problem) await readyAll(deps, drainsOf(failed.touched), id).catch(() => undefined);
  deps.log.error('rolled back', {
    certificateId: id,
    revision: desired.revision,
    servedRevision: servedAfter,
    problem,
  });
  await ctx.report({
    result: problem ? 'failed' : 'rolled-back',
    revisionOnDisk: installed?.revision ?? null,
    revisionServed: servedAfter,
    servedSerial: servedAfter === null ? null : (installed?.serial ?? null),
    reloadStartedAt: failed.reloadStartedAt,
    reloadFinishedAt: deps.clock.now().toISOString(),
    errorCode: code,
    error: problem ? `${message}; ${problem}` : message,
  });
  return ctx.outcome('rolled-back', { errorCode: code, message });
}

/**
 * Puts the backups back, reloads, and waits for the previous certificate to be served again.
 * @returns the revision served afterwards (null when unknown), and what went wrong with the rollback
 */
async function restorePrevious(
  ctx: RolloutContext,
  failed: FailedInstall,
): Promise<{ servedAfter: number | null; problem: string | null }> {
  const { deps, desired, installed } = ctx;
  let restored = true;
  for (const path of failed.written) restored = (await deps.files.restore(path)) && restored;
  let servedAfter: number | null = null;
  let problem: string | null = restored ? null : 'no previous keystore to restore for some files';
  let reloadProblem: string | null = null;
  try {
    await reloadAll(deps, failed.touched, desired.certificateId);
  } catch (second) {
    // A server that refused the new files usually still serves the old ones: the probe decides.
    reloadProblem = (second as Error).message;
  }
  if (installed) {
    try {
      await waitUntilServed(deps, failed.touched, installed.serial);
      servedAfter = installed.revision;
    } catch (second) {
      problem = `the rollback did not take either: ${reloadProblem ?? (second as Error).message}`;
    }
  } else if (reloadProblem) {
    problem = `the reload after restoring failed too: ${reloadProblem}`;
  }
  return { servedAfter, problem };
}
