import { describe, expect, it } from 'vitest';
import type { Clock } from '../../core/ports/clock.ts';

export interface ClockSubject {
  readonly clock: Clock;
  /** Lets `ms` of this clock's time pass. */
  pass(ms: number): Promise<void>;
}

/** The Clock port has no doc comment; what every caller relies on is this. */
export function describeClockContract(name: string, make: () => ClockSubject | Promise<ClockSubject>): void {
  describe(`Clock contract: ${name}`, () => {
    it('returns a new Date each time: changing one does not move the clock', async () => {
      const { clock } = await make();
      const reading = clock.now();
      const before = reading.getTime();

      reading.setTime(0);

      expect(clock.now().getTime()).toBeGreaterThanOrEqual(before);
      expect(clock.now()).not.toBe(clock.now());
    });

    it('moves forward as time passes, never back', async () => {
      const { clock, pass } = await make();
      const first = clock.now().getTime();

      await pass(5);
      const second = clock.now().getTime();
      await pass(5);
      const third = clock.now().getTime();

      expect(second).toBeGreaterThan(first);
      expect(third).toBeGreaterThan(second);
    });
  });
}
