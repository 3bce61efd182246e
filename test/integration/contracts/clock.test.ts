/** The Clock contract (test/contract/clock.contract.ts) against the system clock. */
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../../core/ports/clock.ts';
import { describeClockContract } from '../../contract/clock.contract.ts';

describeClockContract('systemClock', () => ({ clock: systemClock, pass: (ms) => sleep(ms) }));
