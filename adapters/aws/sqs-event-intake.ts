import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseEventMessage } from '../../core/agent/event-message.ts';
import type { EventIntake, IntakeMessage } from '../../core/ports/event-intake.ts';

/** SQS allows at most 20 s per long poll. */
const LONG_POLL_SECONDS = 20;

/**
 * The node's SQS queue. One message per receive: with more, some SQS implementations (local-aws-sqs)
 * hold the poll for the full wait even when a message is ready, and one at a time keeps every other
 * message available for the DLQ count. Receipt handles stay inside this adapter.
 */
export class SqsEventIntake implements EventIntake {
  private readonly receipts = new Map<string, string>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly waitSeconds: number = LONG_POLL_SECONDS,
  ) {}

  async receive(
    options: { readonly waitSeconds?: number; readonly signal?: AbortSignal } = {},
  ): Promise<IntakeMessage[]> {
    try {
      const { Messages } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: options.waitSeconds ?? this.waitSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          // Also the deprecated form: local-aws-sqs reads only AttributeNames (typed as queue attributes).
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      return (Messages ?? []).flatMap((m): IntakeMessage[] => {
        if (!m.MessageId || !m.ReceiptHandle) return [];
        this.receipts.set(m.MessageId, m.ReceiptHandle);
        const parsed = parseEventMessage(m.Body ?? '');
        return [
          {
            id: m.MessageId,
            receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1') || 1,
            event: parsed.event,
            problem: parsed.problem,
          },
        ];
      });
    } catch (error) {
      if (options.signal?.aborted) return [];
      throw error;
    }
  }

  async acknowledge(message: IntakeMessage): Promise<void> {
    const handle = this.take(message);
    if (!handle) return;
    try {
      await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle }));
    } catch (error) {
      // Deleted already, or the handle expired (the message was received again): not ours to delete.
      if (!(error instanceof ReceiptHandleIsInvalid)) throw error;
    }
  }

  async release(message: IntakeMessage, delaySeconds: number): Promise<void> {
    const handle = this.take(message);
    if (!handle) return;
    try {
      await this.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: handle,
          VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(delaySeconds))),
        }),
      );
    } catch (error) {
      if (!(error instanceof ReceiptHandleIsInvalid)) throw error;
    }
  }

  private take(message: IntakeMessage): string | undefined {
    const handle = this.receipts.get(message.id);
    this.receipts.delete(message.id);
    return handle;
  }
}
