import type { ChallengeStore, PendingChallenge } from '../ports/challenge-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { ChallengeLookup } from './respond.ts';

export interface ChallengeCacheOptions {
  /**
   * The least time between two reads of the store: the most a responder reads is one per this many
   * milliseconds, however many requests come in. 0: a read for every request the cache cannot
   * answer (Lambda, where waiting costs more than reading).
   */
  readonly minReadIntervalMs: number;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * What every responder answers from (core/challenge/respond.ts): the tokens in flight, read from
 * the store all at once. A token is immutable while it lives, so a token the cache holds is served
 * without a read until its `validUntil`. A request the cache cannot answer waits for a read that
 * begins after the request arrived — so a token written just before the CA asks for it is always
 * seen — and every request waiting shares that read; reads are at least `minReadIntervalMs` apart.
 * A flood of made-up tokens therefore costs at most one read per interval and a wait of at most
 * one interval each, while the CA's request for a real token is answered as soon as the next read
 * returns.
 */
export class ChallengeCache implements ChallengeLookup {
  private tokens = new Map<string, PendingChallenge>();
  /** Reads begun so far; each read's number is its place in that sequence. */
  private readsBegun = 0;
  /** The number of the read that produced {@link tokens} (0: none yet). */
  private tokensFrom = 0;
  /** When the last read began (ms), for the interval. */
  private lastReadAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly store: Pick<ChallengeStore, 'pending'>,
    private readonly options: ChallengeCacheOptions,
  ) {}

  /**
   * The key authorization of an unexpired token, or null.
   * @throws whatever the store throws (a store that cannot be read is not "no such token")
   */
  async get(token: string): Promise<string | null> {
    // A read already under way may have begun before the token was written: it may find the token,
    // but only a read begun after this request may say there is none.
    const needed = this.readsBegun + 1;
    for (;;) {
      const found = this.valid(token);
      if (found !== null || this.tokensFrom >= needed) return found;
      await (this.reading ?? this.read());
    }
  }

  /** The key authorization of a token already read and unexpired, without a read. */
  peek(token: string): string | null {
    return this.valid(token);
  }

  private valid(token: string): string | null {
    const entry = this.tokens.get(token);
    return entry && entry.validUntil > this.now() ? entry.keyAuthorization : null;
  }

  /** One read at a time, no sooner than the interval after the last one began. */
  private read(): Promise<void> {
    const reading = (async () => {
      const wait = this.lastReadAt + this.options.minReadIntervalMs - this.now();
      if (wait > 0) await this.options.sleep(wait);
      // Also for a read that fails: the interval holds for a store that is down, too.
      this.lastReadAt = this.now();
      const number = ++this.readsBegun;
      try {
        const pending = await this.store.pending();
        this.tokens = new Map(pending.map((p) => [p.token, p]));
        this.tokensFrom = number;
      } finally {
        this.reading = null;
      }
    })();
    this.reading = reading;
    return reading;
  }

  private now(): number {
    return this.options.clock.now().getTime();
  }
}
