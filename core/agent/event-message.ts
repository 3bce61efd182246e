import * as z from '../config/zod.ts';
import type { CertificateEvent } from '../ports/event-publisher.ts';

const revisionPublished = z.object({
  type: z.literal('certificate.revision_published'),
  certificateId: z.string().check(z.minLength(1)),
  revision: z.int().check(z.minimum(1)),
  groups: z._default(z.array(z.string()), []),
  nodes: z._default(z.array(z.string()), []),
  dmz: z._default(z.array(z.string()), []),
});

const renewalFailed = z.object({
  type: z.literal('certificate.renewal_failed'),
  certificateId: z.string().check(z.minLength(1)),
  attempts: z.int(),
  errorCode: z.string(),
  message: z.string(),
  nextAttemptAt: z.string(),
});

const certificateEvent = z.discriminatedUnion('type', [revisionPublished, renewalFailed]);

/** The SNS envelope (enveloped delivery): the event is the JSON text in `Message`. */
const snsEnvelope = z.object({ Type: z.literal('Notification'), Message: z.string() });

export type ParsedMessage =
  | { readonly event: CertificateEvent; readonly problem: null }
  | { readonly event: null; readonly problem: string };

/**
 * Reads a queue message body: an SNS envelope (the default subscription) or the raw event (raw
 * message delivery), validated like any other input from outside.
 */
export function parseEventMessage(body: string): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { event: null, problem: 'the body is not JSON' };
  }
  const envelope = snsEnvelope.safeParse(json);
  if (envelope.success) {
    try {
      json = JSON.parse(envelope.data.Message);
    } catch {
      return { event: null, problem: 'the SNS Message is not JSON' };
    }
  }
  const event = certificateEvent.safeParse(json);
  if (!event.success) {
    const issue = event.error.issues[0];
    return {
      event: null,
      problem: `not a certificate event: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'}`,
    };
  }
  return { event: event.data, problem: null };
}
