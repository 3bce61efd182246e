/** An HTTP-01 token in flight, as a responder serves it. */
export interface PendingChallenge {
  readonly token: string;
  readonly keyAuthorization: string;
  /** Not served from this moment on (milliseconds since the epoch). */
  readonly validUntil: number;
}

/**
 * Shared HTTP-01 challenge storage: the orderer writes, every responder (ALB Lambda, Lambda@Edge,
 * node agent) reads, so whichever node the load balancer picks can answer. Responders read every
 * token in flight at once ({@link pending}), through core/challenge/challenge-cache.ts: one read
 * answers any number of requests, so a flood of made-up tokens costs no more reads than silence.
 */
export interface ChallengeStore {
  /** Stores (or overwrites) a token; it is no longer served after `expiresAt`. Idempotent. */
  put(token: string, keyAuthorization: string, expiresAt: Date): Promise<void>;
  /** Every unexpired token, in one read; empty when no order is in flight. */
  pending(): Promise<PendingChallenge[]>;
  /** Removes a token; removing an unknown token is not an error. */
  remove(token: string): Promise<void>;
}
