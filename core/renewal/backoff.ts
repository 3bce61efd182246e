import type { FailureState } from './types.ts';

const HOUR = 3_600_000;
/** Let's Encrypt pauses a name after many failures over days; a day between tries stays far from that. */
export const MAX_BACKOFF_MS = 24 * HOUR;
export const FIRST_BACKOFF_MS = HOUR;

/**
 * The failure state after one more failed attempt: the next try waits 1 h · 2^(attempts-1), capped at
 * a day, or until the CA's Retry-After when that is later (computed from persisted fields, as
 * cert-manager does, so that no run retries early whatever its schedule).
 */
export function nextFailure(
  previous: FailureState | null,
  error: { code: string; message: string; retryAfter?: Date | null },
  now: Date,
): FailureState {
  const attempts = (previous?.attempts ?? 0) + 1;
  const delay = Math.min(FIRST_BACKOFF_MS * 2 ** (attempts - 1), MAX_BACKOFF_MS);
  const backoffUntil = now.getTime() + delay;
  const next = Math.max(backoffUntil, error.retryAfter?.getTime() ?? 0);
  return {
    attempts,
    lastErrorCode: error.code,
    lastErrorMessage: error.message,
    lastAttemptAt: now.toISOString(),
    nextAttemptAt: new Date(next).toISOString(),
  };
}
