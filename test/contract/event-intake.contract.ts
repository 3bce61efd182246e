import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'vitest';
import type { EventIntake, IntakeMessage } from '../../core/ports/event-intake.ts';
import type { CertificateEvent } from '../../core/ports/event-publisher.ts';
import { uniqueName } from './unique-name.ts';

export interface EventIntakeSubject {
  /** A fresh intake that nothing but `deliver` feeds. */
  readonly intake: EventIntake;
  /** Delivers one event into this intake, as the fleet topic does; resolves once it was handed over. */
  deliver(event: CertificateEvent): Promise<void>;
  /** The receive after which a message that comes back goes to the dead-letter queue instead. */
  readonly maxReceiveCount: number;
}

export interface EventIntakeSubjectOptions {
  /** Absent: the implementation's own, which must outlast every wait of this suite (a few seconds). */
  readonly visibilityTimeoutSeconds?: number;
}

export interface EventIntakeContractOptions {
  /**
   * Set, with the reason, for an implementation known to count a release as a receive (an emulator
   * bug, not SQS's behaviour): the cases that count receives across releases are then expected to
   * fail, so that a fixed emulator shows up as a failure to remove this.
   */
  readonly releaseCountedAsReceive?: string;
}

/** A message arriving counts as "at once" within this; every long poll below waits 1–2 s. */
const PROMPT_MS = 700;
/** Timers may fire a little early by Date.now(); a one-second wait must still take most of it. */
const ONE_SECOND_AT_LEAST_MS = 900;

function aRevisionPublished(): CertificateEvent {
  return {
    type: 'certificate.revision_published',
    certificateId: uniqueName('cert'),
    revision: 7,
    groups: ['web'],
    nodes: [],
    dmz: [],
  };
}

/** The result of `work` and how long it took from `since` (default: now). */
async function timed<T>(work: Promise<T>, since = Date.now()): Promise<{ value: T; ms: number }> {
  const value = await work;
  return { value, ms: Date.now() - since };
}

/** Exactly one message, received within a second. */
async function receiveOne(intake: EventIntake): Promise<IntakeMessage> {
  const messages = await intake.receive({ waitSeconds: 1 });
  const [message] = messages;
  if (!message || messages.length !== 1) throw new Error(`expected one message, received ${messages.length}`);
  return message;
}

/**
 * The promises of core/ports/event-intake.ts. Every case has its own intake and waits on the wall
 * clock (long polls of 1–2 s), so they run side by side: the suite costs about its longest case.
 */
export function describeEventIntakeContract(
  name: string,
  make: (options?: EventIntakeSubjectOptions) => EventIntakeSubject | Promise<EventIntakeSubject>,
  options: EventIntakeContractOptions = {},
): void {
  // The cases that count receives across releases: expected to fail where a release counts too.
  const gap = options.releaseCountedAsReceive;
  const itCountsAcrossReleases = gap ? it.fails : it;
  const acrossReleases = (title: string) => (gap ? `${title} [expected to fail: ${gap}]` : title);

  describe.concurrent(`EventIntake contract: ${name}`, () => {
    /** A subject holding one delivered event, received once. */
    async function aReceivedMessage() {
      const subject = await make();
      const event = aRevisionPublished();
      await subject.deliver(event);
      return { ...subject, event, message: await receiveOne(subject.intake) };
    }

    it('receives a delivered event with every field, counted as its first receive', async ({ expect }) => {
      const { intake, deliver } = await make();
      const event = aRevisionPublished();

      await deliver(event);
      const messages = await intake.receive({ waitSeconds: 1 });

      expect(messages).toEqual([{ id: expect.any(String), receiveCount: 1, event, problem: null }]);
      expect(messages[0]?.id).not.toBe('');
    });

    it('hides a received message from a second receive', async ({ expect }) => {
      const { intake } = await aReceivedMessage();

      const second = await timed(intake.receive({ waitSeconds: 1 }));

      expect(second.value).toEqual([]);
      expect(second.ms).toBeGreaterThanOrEqual(ONE_SECOND_AT_LEAST_MS);
    });

    it('makes a message released without delay receivable again at once', async ({ expect }) => {
      const { intake, event, message } = await aReceivedMessage();

      await intake.release(message, 0);
      const again = await timed(intake.receive({ waitSeconds: 1 }));

      expect(again.value).toEqual([expect.objectContaining({ id: message.id, event, problem: null })]);
      expect(again.ms).toBeLessThan(PROMPT_MS);
    });

    itCountsAcrossReleases(
      acrossReleases('counts a release as no receive: the receive after it is the second'),
      async ({ expect }) => {
        const { intake, message } = await aReceivedMessage();

        await intake.release(message, 0);
        const again = await receiveOne(intake);

        expect(again.receiveCount).toBe(2);
      },
    );

    it('keeps a message released with a delay away for that delay, then hands it out', async ({ expect }) => {
      const { intake, event, message } = await aReceivedMessage();
      const releasedAt = Date.now();

      await intake.release(message, 1);
      const again = await timed(intake.receive({ waitSeconds: 2 }), releasedAt);

      expect(again.value).toEqual([expect.objectContaining({ id: message.id, event })]);
      expect(again.ms).toBeGreaterThanOrEqual(ONE_SECOND_AT_LEAST_MS);
      expect(again.ms).toBeLessThan(2_000);
    });

    it('hands a released message to a receive already waiting, at once', async ({ expect }) => {
      const { intake, message } = await aReceivedMessage();
      const waiting = intake.receive({ waitSeconds: 2 });
      await sleep(100);
      const releasedAt = Date.now();

      await intake.release(message, 0);
      const again = await timed(waiting, releasedAt);

      expect(again.value.map((m) => m.id)).toEqual([message.id]);
      expect(again.ms).toBeLessThan(PROMPT_MS);
    });

    it('deletes an acknowledged message for good; a second acknowledge is no error', async ({ expect }) => {
      const { intake, message } = await aReceivedMessage();

      await intake.acknowledge(message);
      await expect(intake.acknowledge(message)).resolves.toBeUndefined();

      expect(await intake.receive({ waitSeconds: 1 })).toEqual([]);
    });

    it('waits out the whole poll on an empty intake, then returns nothing', async ({ expect }) => {
      const { intake } = await make();

      const empty = await timed(intake.receive({ waitSeconds: 1 }));

      expect(empty.value).toEqual([]);
      expect(empty.ms).toBeGreaterThanOrEqual(ONE_SECOND_AT_LEAST_MS);
      expect(empty.ms).toBeLessThan(2_000);
    });

    it('ends a waiting receive as soon as an event arrives', async ({ expect }) => {
      const { intake, deliver } = await make();
      const event = aRevisionPublished();
      const waiting = intake.receive({ waitSeconds: 2 });
      await sleep(200);
      const deliveredAt = Date.now();

      await deliver(event);
      const received = await timed(waiting, deliveredAt);

      expect(received.value.map((m) => m.event)).toEqual([event]);
      expect(received.ms).toBeLessThan(PROMPT_MS);
    });

    it('returns nothing, promptly, from a receive aborted while waiting or before it began', async ({
      expect,
    }) => {
      const { intake } = await make();
      const controller = new AbortController();
      const waiting = intake.receive({ waitSeconds: 2, signal: controller.signal });
      await sleep(200);
      const abortedAt = Date.now();

      controller.abort();
      const aborted = await timed(waiting, abortedAt);
      const early = await timed(intake.receive({ waitSeconds: 2, signal: AbortSignal.abort() }));

      expect(aborted.value).toEqual([]);
      expect(aborted.ms).toBeLessThan(PROMPT_MS);
      expect(early.value).toEqual([]);
      expect(early.ms).toBeLessThan(PROMPT_MS);
    });

    it('brings back a message nobody acknowledged or released after the visibility timeout', async ({
      expect,
    }) => {
      const { intake, deliver } = await make({ visibilityTimeoutSeconds: 1 });
      const event = aRevisionPublished();
      await deliver(event);
      const receivedAt = Date.now();
      const message = await receiveOne(intake);

      const again = await timed(intake.receive({ waitSeconds: 2 }), receivedAt);

      expect(again.value).toEqual([{ id: message.id, receiveCount: 2, event, problem: null }]);
      expect(again.ms).toBeGreaterThanOrEqual(ONE_SECOND_AT_LEAST_MS);
    });

    itCountsAcrossReleases(
      acrossReleases(
        'hands a message out maxReceiveCount times, then no more (it went to the dead-letter queue)',
      ),
      async ({ expect }) => {
        const { intake, deliver, maxReceiveCount } = await make();
        await deliver(aRevisionPublished());

        const counts: number[] = [];
        for (let receive = 1; receive <= maxReceiveCount; receive++) {
          const message = await receiveOne(intake);
          counts.push(message.receiveCount);
          await intake.release(message, 0);
        }

        expect(counts).toEqual(Array.from({ length: maxReceiveCount }, (_, i) => i + 1));
        expect(await intake.receive({ waitSeconds: 1 })).toEqual([]);
      },
    );
  });
}
