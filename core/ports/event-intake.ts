import type { CertificateEvent } from './event-publisher.ts';

/** One received message: its event, or why it could not be read (a poison message). */
export interface IntakeMessage {
  readonly id: string;
  /** How many times it was received, this time included (SQS ApproximateReceiveCount). */
  readonly receiveCount: number;
  readonly event: CertificateEvent | null;
  /** Why `event` is null. */
  readonly problem: string | null;
}

/**
 * The node's event queue (SQS long poll in AWS), fed by the fleet topic.
 *
 * - Errors: `receive` throws on transport errors (the caller backs off); an aborted receive returns [].
 *   The queue may still hand a message to an aborted poll (local-aws-sqs keeps polling to the end of
 *   the wait): that message returns after its visibility timeout, and the reconcile at start covers it.
 * - Idempotency: delivery is at least once; `acknowledge` of a message already gone is not an error.
 * - Concurrency: messages are invisible to other receivers until acknowledged or released; one
 *   not acknowledged returns after its visibility timeout, and after the queue's maximum receive
 *   count it moves to the dead-letter queue.
 */
export interface EventIntake {
  /** Waits up to `waitSeconds` (default: the adapter's long-poll time, 20 s in SQS) for messages. */
  receive(options?: {
    readonly waitSeconds?: number;
    readonly signal?: AbortSignal;
  }): Promise<IntakeMessage[]>;
  /** Deletes the message: it was applied or judged obsolete. */
  acknowledge(message: IntakeMessage): Promise<void>;
  /** Makes the message visible again after `delaySeconds` (a retry that counts towards the DLQ). */
  release(message: IntakeMessage, delaySeconds: number): Promise<void>;
}
