/**
 * The cluster's side of an install: join the revision's rollout, wait for the canary's verdict
 * (taking its role over when it missed its deadline), and take one of the certificate's rollout
 * slots. A halted rollout ends the sync here, before anything is written.
 */
import type { Lease } from '../../ports/lock.ts';
import type { Rollout, RolloutJoin } from '../../ports/rollout-store.ts';
import { acquireSlot, joinTerms, type RolloutGate, warnIfOverridden } from '../rollout-slot.ts';
import type { SyncOutcome } from './outcome.ts';
import type { RolloutContext } from './sync-context.ts';

/** Joins the rollout of the revision (the first node to join becomes its canary). */
export async function joinRollout(ctx: RolloutContext): Promise<Rollout> {
  const { deps, desired } = ctx;
  const published =
    ctx.terms !== undefined
      ? ctx.terms
      : ((await deps.state.rolloutTerms?.(desired.certificateId, desired.revision)) ?? null);
  const rollout = await deps.rollouts.join({
    ...joinRequest(ctx),
    ...joinTerms(published, deps.rollout.maxParallel),
  });
  warnIfOverridden(deps.log, rollout, deps.rollout.maxParallel);
  if (rollout.canary === deps.nodeId && rollout.state === 'canary')
    deps.log.info('canary', { certificateId: ctx.plan.certificateId, revision: desired.revision });
  return rollout;
}

/**
 * Waits while another node is the canary; takes its role over if it missed its deadline (crashed).
 * @returns the rollout to go on with (null: its record is gone), or `interrupted` on shutdown
 */
export async function waitForCanary(
  ctx: RolloutContext,
  joined: Rollout,
): Promise<Rollout | null | 'interrupted'> {
  const { deps, desired, signal } = ctx;
  const id = ctx.plan.certificateId;
  let rollout: Rollout | null = joined;
  while (rollout && rollout.state === 'canary' && rollout.canary !== deps.nodeId) {
    if (signal?.aborted) return 'interrupted';
    if (deps.clock.now() >= new Date(rollout.canaryDeadline)) {
      rollout =
        (await deps.rollouts.takeOver(joinRequest(ctx))) ?? (await deps.rollouts.get(id, desired.revision));
      continue;
    }
    // At half the usual pause: the whole rollout waits on this answer, and a read is cheap.
    await deps.sleep((deps.rollout.pollMs / 2) * (0.5 + deps.random()), signal);
    rollout = await deps.rollouts.get(id, desired.revision);
  }
  return rollout;
}

/**
 * One of the certificate's `maxParallel` rollout slots, or null when aborted or out of patience;
 * `gate` says whether the rollout grants slots, and holds the record it read with the slot taken.
 */
export function acquireRolloutSlot(
  ctx: RolloutContext,
  maxParallel: number,
  gate: RolloutGate,
): Promise<Lease | null> {
  const { deps, signal } = ctx;
  const settings = deps.rollout;
  return acquireSlot(
    deps.lock,
    { certificateId: ctx.plan.certificateId, owner: deps.nodeId, maxParallel, ttlMs: settings.slotTtlMs },
    {
      sleep: deps.sleep,
      random: deps.random,
      now: () => deps.clock.now(),
      pollMs: settings.pollMs,
      maxWaitMs: settings.canaryTimeoutMs,
      signal,
      open: gate.open,
    },
  );
}

/** Gives the slot back; the install stands either way: a slot not released expires after slotTtlMs. */
export async function releaseRolloutSlot(ctx: RolloutContext, slot: Lease): Promise<void> {
  await ctx.deps.lock.release(slot).catch((error: unknown) =>
    ctx.deps.log.warn('rollout slot not released', {
      certificateId: ctx.plan.certificateId,
      error: (error as Error).message,
    }),
  );
}

/** The rollout was stopped by a failure elsewhere (or its record is gone): reported, nothing installed. */
export async function halted(ctx: RolloutContext, rollout: Rollout | null): Promise<SyncOutcome> {
  const reason = rollout?.reason ?? 'the rollout record is gone';
  ctx.deps.log.warn('rollout halted', {
    certificateId: ctx.desired.certificateId,
    revision: ctx.desired.revision,
    reason,
  });
  await ctx.report({ result: 'halted', errorCode: 'ROLLOUT_HALTED', error: reason });
  return ctx.outcome('halted', { errorCode: 'ROLLOUT_HALTED', message: reason });
}

function joinRequest(ctx: RolloutContext): RolloutJoin {
  const { deps, desired } = ctx;
  return {
    certificateId: ctx.plan.certificateId,
    revision: desired.revision,
    nodeId: deps.nodeId,
    ...joinTerms(null, deps.rollout.maxParallel),
    now: deps.clock.now(),
    canaryDeadline: new Date(deps.clock.now().getTime() + deps.rollout.canaryTimeoutMs),
  };
}
