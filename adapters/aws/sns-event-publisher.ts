import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { eventAudience } from '../../core/fleet-audience.ts';
import type { CertificateEvent, EventPublisher } from '../../core/ports/event-publisher.ts';

/**
 * Events on the fleet topic. Message attributes carry what subscriptions filter on: the event type,
 * the certificate, and its audience (a String.Array, matched by `{"groups": [...]}`): the node
 * groups it targets, `node:<id>` per node named, and `dmz:<id>` per DMZ instance it is pushed to
 * (core/fleet-audience.ts).
 */
export class SnsEventPublisher implements EventPublisher {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(event: CertificateEvent): Promise<void> {
    const groups = event.type === 'certificate.revision_published' ? eventAudience(event) : [];
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: JSON.stringify(event),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: event.type },
          certificateId: { DataType: 'String', StringValue: event.certificateId },
          groups: { DataType: 'String.Array', StringValue: JSON.stringify(groups) },
        },
      }),
    );
  }
}
