/**
 * Shared HTTP-01 challenge storage: the orderer writes, every responder (ALB Lambda, Lambda@Edge,
 * node agent) reads, so whichever node the load balancer picks can answer.
 */
export interface ChallengeStore {
  /** Stores (or overwrites) a token; it is no longer served after `expiresAt`. Idempotent. */
  put(token: string, keyAuthorization: string, expiresAt: Date): Promise<void>;
  /** The key authorization of an unexpired token, or null. Never throws for an unknown token. */
  get(token: string): Promise<string | null>;
  /** Removes a token; removing an unknown token is not an error. */
  remove(token: string): Promise<void>;
}
