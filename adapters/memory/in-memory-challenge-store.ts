import type { ChallengeStore } from '../../core/ports/challenge-store.ts';
import type { Clock } from '../../core/ports/clock.ts';

/** HTTP-01 tokens in memory; like DynamoChallengeStore, a read checks the expiry against the clock. */
export class InMemoryChallengeStore implements ChallengeStore {
  private readonly tokens = new Map<
    string,
    { readonly keyAuthorization: string; readonly expiresAt: Date }
  >();

  constructor(private readonly clock: Clock) {}

  async put(token: string, keyAuthorization: string, expiresAt: Date): Promise<void> {
    this.tokens.set(token, { keyAuthorization, expiresAt: new Date(expiresAt) });
  }

  async get(token: string): Promise<string | null> {
    const stored = this.tokens.get(token);
    if (!stored || stored.expiresAt.getTime() <= this.clock.now().getTime()) return null;
    return stored.keyAuthorization;
  }

  async remove(token: string): Promise<void> {
    this.tokens.delete(token);
  }
}
