import type { EventIntake, IntakeMessage } from '../../core/ports/event-intake.ts';
import type { CertificateEvent } from '../../core/ports/event-publisher.ts';

interface Queued {
  readonly id: string;
  readonly event: CertificateEvent;
  receiveCount: number;
  /** Epoch ms from which it may be received (again). */
  visibleAt: number;
}

export interface InMemoryEventIntakeOptions {
  /**
   * How long a received message stays invisible unless acknowledged or released.
   * @default 300 (the node queues' setting, core/resource-layout.ts)
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * The receive after which a message that comes back goes to `deadLetters` instead.
   * @default 5 (the node queues' redrive setting, core/resource-layout.ts)
   */
  readonly maxReceiveCount?: number;
}

/** A long poll waits at most this long when no `waitSeconds` is given, as SQS's does. */
const LONG_POLL_SECONDS = 20;

/**
 * A node queue in memory, with SQS's semantics as far as the agent relies on them: one message per
 * receive, invisible until acknowledged, released or past its visibility timeout, moved to the
 * dead-letter list when it comes back after its maximum receive count, and a long poll that ends
 * early when a message becomes receivable or the signal aborts. An agent without a queue (a node
 * that only answers HTTP-01 challenges) gets one that is never fed: it waits out each poll and
 * converges by reconcile alone.
 */
export class InMemoryEventIntake implements EventIntake {
  /** Messages that came back after their last allowed receive, oldest first. */
  readonly deadLetters: CertificateEvent[] = [];
  readonly maxReceiveCount: number;
  private readonly visibilityTimeoutMs: number;
  private readonly queue: Queued[] = [];
  private readonly waiting = new Set<() => void>();
  private next = 0;

  constructor(options: InMemoryEventIntakeOptions = {}) {
    this.visibilityTimeoutMs = (options.visibilityTimeoutSeconds ?? 300) * 1000;
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
  }

  /** Adds a message, as SNS delivering an event would; wakes a waiting receive. */
  send(event: CertificateEvent): void {
    this.queue.push({ id: `message-${++this.next}`, event, receiveCount: 0, visibleAt: 0 });
    this.wakeAll();
  }

  async receive(
    options: { readonly waitSeconds?: number; readonly signal?: AbortSignal } = {},
  ): Promise<IntakeMessage[]> {
    const deadline = Date.now() + (options.waitSeconds ?? LONG_POLL_SECONDS) * 1000;
    for (;;) {
      if (options.signal?.aborted) return [];
      this.redrive();
      const message = this.queue.find((m) => m.visibleAt <= Date.now());
      if (message) {
        message.receiveCount++;
        message.visibleAt = Date.now() + this.visibilityTimeoutMs;
        return [{ id: message.id, receiveCount: message.receiveCount, event: message.event, problem: null }];
      }
      const nextVisible = Math.min(...this.queue.map((m) => m.visibleAt));
      const until = Math.min(deadline, nextVisible);
      if (until <= Date.now()) return [];
      await this.wait(until - Date.now(), options.signal);
    }
  }

  async acknowledge(message: IntakeMessage): Promise<void> {
    const index = this.queue.findIndex((m) => m.id === message.id);
    if (index >= 0) this.queue.splice(index, 1);
  }

  async release(message: IntakeMessage, delaySeconds: number): Promise<void> {
    const queued = this.queue.find((m) => m.id === message.id);
    if (!queued) return;
    queued.visibleAt = Date.now() + delaySeconds * 1000;
    // A receive already waiting must see it when it is due, not only at the end of its poll.
    this.wakeAll();
  }

  /** As SQS's redrive policy: a message visible again after its last allowed receive is moved away. */
  private redrive(): void {
    const now = Date.now();
    const dead = this.queue.filter((m) => m.visibleAt <= now && m.receiveCount >= this.maxReceiveCount);
    for (const m of dead) {
      this.queue.splice(this.queue.indexOf(m), 1);
      this.deadLetters.push(m.event);
    }
  }

  private wakeAll(): void {
    for (const wake of this.waiting) wake();
  }

  /** Resolves after `ms`, when a message is sent or released, or when the signal aborts. */
  private wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
