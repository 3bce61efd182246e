import { ProbeFailedError } from '../agent-errors.ts';
import type { AgentDeps } from './agent-deps.ts';
import type { PlannedTarget } from './plan.ts';

/** Consecutive handshakes that must show the new certificate before a reload counts as served. */
export const PROBE_CONFIRMATIONS = 3;

/**
 * Polls every probe endpoint until it serves `serial` on {@link PROBE_CONFIRMATIONS} handshakes in
 * a row: reloads are asynchronous (nginx starts new workers while the old ones still accept for a
 * moment), so one early handshake may see either certificate.
 * @throws ProbeFailedError naming the endpoint and what it served
 */
export async function waitUntilServed(
  deps: AgentDeps,
  targets: readonly PlannedTarget[],
  serial: string,
): Promise<void> {
  const deadline = deps.clock.now().getTime() + deps.rollout.probeTimeoutMs;
  for (const endpoint of targets.flatMap((t) => t.probes)) {
    let last = 'no handshake yet';
    let streak = 0;
    for (;;) {
      try {
        const served = await deps.prober.probe(endpoint);
        streak = served.serial === serial ? streak + 1 : 0;
        if (streak >= PROBE_CONFIRMATIONS) break;
        if (streak === 0) last = `serves serial ${served.serial}`;
      } catch (error) {
        streak = 0;
        last = (error as Error).message;
      }
      if (streak === 0 && deps.clock.now().getTime() >= deadline)
        throw new ProbeFailedError(
          `${endpoint.host}:${endpoint.port} (SNI ${endpoint.servername}) ${last}, expected serial ${serial}`,
        );
      await deps.sleep(streak > 0 ? 20 : Math.min(deps.rollout.pollMs, 100));
    }
  }
}
