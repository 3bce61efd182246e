import type { ChallengeStore, PendingChallenge } from '../../core/ports/challenge-store.ts';
import type { Clock } from '../../core/ports/clock.ts';

/** HTTP-01 tokens in memory; like DynamoChallengeStore, a read checks the expiry against the clock. */
export class InMemoryChallengeStore implements ChallengeStore {
  private readonly tokens = new Map<string, PendingChallenge>();

  constructor(private readonly clock: Clock) {}

  async put(token: string, keyAuthorization: string, expiresAt: Date): Promise<void> {
    this.tokens.set(token, { token, keyAuthorization, validUntil: expiresAt.getTime() });
  }

  async pending(): Promise<PendingChallenge[]> {
    const now = this.clock.now().getTime();
    return [...this.tokens.values()].filter((t) => t.validUntil > now);
  }

  async remove(token: string): Promise<void> {
    this.tokens.delete(token);
  }
}
