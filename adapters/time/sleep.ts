import { setTimeout as delay } from 'node:timers/promises';

/**
 * Resolves after `ms`, or as soon as `signal` aborts (never rejects): the waits of the agent and
 * the DMZ receiver (slots, the canary, probes, retries), which check the signal themselves.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch {
    // Aborted: the caller checks the signal.
  }
}
