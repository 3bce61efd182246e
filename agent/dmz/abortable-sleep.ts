import { setTimeout as delay } from 'node:timers/promises';

/**
 * Resolves after `ms`, or as soon as `signal` aborts (never rejects). The same as the agent's
 * `sleep` in create-agent.ts, kept here so the DMZ receiver does not import the agent's AWS wiring.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch {
    // Aborted: the caller checks the signal.
  }
}
