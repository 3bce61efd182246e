import type { CertificateEvent, EventPublisher } from '../../core/ports/event-publisher.ts';

export class RecordingEventPublisher implements EventPublisher {
  readonly events: CertificateEvent[] = [];

  async publish(event: CertificateEvent): Promise<void> {
    this.events.push(event);
  }
}
