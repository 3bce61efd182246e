/**
 * Out of the load balancer's rotation around a disruptive reload, and back in: each distinct drain
 * action of the targets being reloaded, once (two targets may sit behind the same server entry).
 * See docs/design/2026-12-05-drain.md.
 */
import type { AgentDeps } from './agent-deps.ts';
import type { PlannedDrain, PlannedTarget } from './plan.ts';

export function drainsOf(targets: readonly PlannedTarget[]): PlannedDrain[] {
  const byAction = new Map<string, PlannedDrain>();
  for (const t of targets) if (t.drain) byAction.set(t.drain.drainer.description, t.drain);
  return [...byAction.values()];
}

/**
 * Drains each, then waits until the load balancer has no connection open to this node (or the
 * drain timeout passed; or, for a drainer that cannot count, the settle time).
 * @throws DrainFailedError when a load balancer cannot be told: nothing may be reloaded then
 */
export async function drainAll(
  deps: AgentDeps,
  drains: readonly PlannedDrain[],
  certificateId: string,
): Promise<void> {
  for (const drain of drains) {
    const t0 = performance.now();
    await drain.drainer.drain();
    const left = await untilIdle(deps, drain);
    deps.log.info('drained', {
      certificateId,
      action: drain.drainer.description,
      openConnections: left,
      ms: Math.round(performance.now() - t0),
    });
  }
}

/** The connections still open when it stopped waiting (null: not countable, waited the settle time). */
async function untilIdle(deps: AgentDeps, drain: PlannedDrain): Promise<number | null> {
  const deadline = deps.clock.now().getTime() + drain.timeoutMs;
  for (;;) {
    const open = await drain.drainer.activeConnections();
    if (open === null) {
      await deps.sleep(drain.settleMs);
      return null;
    }
    if (open === 0 || deps.clock.now().getTime() >= deadline) return open;
    await deps.sleep(deps.rollout.pollMs);
  }
}

/**
 * Back in rotation, each; a load balancer that does not answer is asked again until the drain
 * timeout passes.
 * @throws DrainFailedError naming the first that could not be told
 */
export async function readyAll(
  deps: AgentDeps,
  drains: readonly PlannedDrain[],
  certificateId: string,
): Promise<void> {
  for (const drain of drains) {
    const deadline = deps.clock.now().getTime() + drain.timeoutMs;
    for (;;) {
      try {
        await drain.drainer.ready();
        break;
      } catch (error) {
        if (deps.clock.now().getTime() >= deadline) throw error;
        await deps.sleep(deps.rollout.pollMs);
      }
    }
    deps.log.info('back in rotation', { certificateId, action: drain.drainer.description });
  }
}
