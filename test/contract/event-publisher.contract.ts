import { describe, expect, it } from 'vitest';
import type { CertificateEvent, EventPublisher } from '../../core/ports/event-publisher.ts';
import { uniqueName } from './unique-name.ts';

export interface EventPublisherSubject {
  readonly publisher: EventPublisher;
  /**
   * The events delivered to a subscriber that filters nothing, once at least `count` arrived (or
   * what arrived by the implementation's deadline). Delivery is at least once: duplicates may show.
   */
  delivered(count: number): Promise<CertificateEvent[]>;
}

type RevisionPublished = Extract<CertificateEvent, { type: 'certificate.revision_published' }>;

function aRevisionPublished(overrides: Partial<RevisionPublished> = {}): RevisionPublished {
  return {
    type: 'certificate.revision_published',
    certificateId: uniqueName('cert'),
    revision: 4,
    groups: ['web', 'batch'],
    nodes: [],
    dmz: ['dmz-1'],
    ...overrides,
  };
}

function aRenewalFailed(): CertificateEvent {
  return {
    type: 'certificate.renewal_failed',
    certificateId: uniqueName('cert'),
    attempts: 3,
    errorCode: 'RATE_LIMITED',
    message: 'too many certificates (5) already issued for this exact set of identifiers',
    nextAttemptAt: '2031-08-01T12:00:00.000Z',
  };
}

/** Each delivered event once, so that at-least-once delivery compares equal. */
function distinct(events: readonly CertificateEvent[]): CertificateEvent[] {
  return [...new Map(events.map((e) => [JSON.stringify(e), e])).values()];
}

const byCertificate = (a: CertificateEvent, b: CertificateEvent) =>
  a.certificateId.localeCompare(b.certificateId);

/** The promises of core/ports/event-publisher.ts. */
export function describeEventPublisherContract(
  name: string,
  make: () => EventPublisherSubject | Promise<EventPublisherSubject>,
): void {
  describe(`EventPublisher contract: ${name}`, () => {
    it('delivers a revision_published event with every field', async () => {
      const { publisher, delivered } = await make();
      const event = aRevisionPublished();

      await publisher.publish(event);

      expect(distinct(await delivered(1))).toEqual([event]);
    });

    it('delivers a renewal_failed event with every field', async () => {
      const { publisher, delivered } = await make();
      const event = aRenewalFailed();

      await publisher.publish(event);

      expect(distinct(await delivered(1))).toEqual([event]);
    });

    it('delivers every one of several events, an empty audience included', async () => {
      const { publisher, delivered } = await make();
      const events = [aRevisionPublished(), aRenewalFailed(), aRevisionPublished({ groups: [], dmz: [] })];

      await Promise.all(events.map((e) => publisher.publish(e)));

      expect(distinct(await delivered(events.length)).sort(byCertificate)).toEqual(
        events.sort(byCertificate),
      );
    });
  });
}
