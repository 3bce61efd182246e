import { describe, expect, it } from 'vitest';
import type { RolloutSteering } from '../../core/ports/rollout-steering.ts';
import type { Rollout, RolloutJoin, RolloutStore } from '../../core/ports/rollout-store.ts';
import { uniqueName } from './unique-name.ts';

export interface RolloutStoreSubject {
  readonly store: RolloutStore & RolloutSteering;
}

const START = Date.parse('2031-05-01T10:00:00.000Z');
const DEADLINE_MS = 60_000;
const at = (ms: number) => new Date(START + ms);

/** A join at START + `afterMs`, whose canary deadline is a minute later. */
function aJoin(certificateId: string, nodeId: string, afterMs = 0, overrides: Partial<RolloutJoin> = {}) {
  return {
    certificateId,
    revision: 7,
    nodeId,
    maxParallel: 2,
    nodes: null,
    now: at(afterMs),
    canaryDeadline: at(afterMs + DEADLINE_MS),
    ...overrides,
  } satisfies RolloutJoin;
}

/** The promises of core/ports/rollout-store.ts and core/ports/rollout-steering.ts. */
export function describeRolloutStoreContract(
  name: string,
  make: () => RolloutStoreSubject | Promise<RolloutStoreSubject>,
): void {
  describe(`RolloutStore contract: ${name}`, () => {
    /** A rollout whose canary is `web-a`, joined at START. */
    async function aRollout(
      overrides: Partial<RolloutJoin> = {},
    ): Promise<{ store: RolloutStore & RolloutSteering; id: string; joined: Rollout }> {
      const { store } = await make();
      const id = uniqueName('cert');
      return { store, id, joined: await store.join(aJoin(id, 'web-a', 0, overrides)) };
    }

    it('makes the first node to join the canary', async () => {
      const { store, id, joined } = await aRollout();

      const expected: Rollout = {
        certificateId: id,
        revision: 7,
        canary: 'web-a',
        state: 'canary',
        maxParallel: 2,
        nodes: null,
        canaryDeadline: at(DEADLINE_MS).toISOString(),
        haltedBy: null,
        reason: null,
        joined: ['web-a'],
        done: [],
        failed: [],
        pausedBy: null,
        pausedAt: null,
        completedAt: null,
        startedAt: at(0).toISOString(),
        updatedAt: at(0).toISOString(),
      };
      expect(joined).toEqual(expected);
      expect(await store.get(id, 7)).toEqual(expected);
    });

    it('keeps the terms of the first join: maxParallel and the declared nodes, sorted', async () => {
      const { store, id, joined } = await aRollout({ maxParallel: 3, nodes: ['web-c', 'web-a', 'web-b'] });

      await store.join(aJoin(id, 'web-b', 5_000, { maxParallel: 9, nodes: ['web-z'] }));

      expect(joined).toMatchObject({ maxParallel: 3, nodes: ['web-a', 'web-b', 'web-c'] });
      expect(await store.get(id, 7)).toMatchObject({ maxParallel: 3, nodes: ['web-a', 'web-b', 'web-c'] });
    });

    it('answers every later join with the existing record, the node added to joined', async () => {
      const { store, id, joined } = await aRollout();

      const later = await store.join(aJoin(id, 'web-b', 5_000, { maxParallel: 9 }));
      const again = await store.join(aJoin(id, 'web-b', 6_000));

      expect(later).toEqual({ ...joined, joined: ['web-a', 'web-b'] });
      expect(again).toEqual(later);
      expect(await store.get(id, 7)).toEqual(later);
    });

    it('makes exactly one of many simultaneous joins the canary, and counts them all', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      const nodes = ['web-a', 'web-b', 'web-c', 'web-d', 'web-e'];

      const records = await Promise.all(nodes.map((node) => store.join(aJoin(id, node))));

      const canaries = new Set(records.map((r) => r.canary));
      expect(canaries.size).toBe(1);
      expect(nodes).toContain([...canaries][0]);
      expect((await store.get(id, 7))?.joined).toEqual(nodes);
    });

    it('has no record of a rollout nobody joined, and changes none', async () => {
      const { store } = await make();
      const id = uniqueName('cert');

      expect(await store.get(id, 7)).toBeNull();
      expect(await store.promote(id, 7, 'web-a', at(1))).toBeNull();
      expect(await store.served(id, 7, 'web-a', at(1))).toBeNull();
      expect(await store.halt(id, 7, 'web-a', 'probe failed', at(1))).toBeNull();
      expect(await store.takeOver(aJoin(id, 'web-a', 2 * DEADLINE_MS))).toBeNull();
      expect(await store.pause(id, 7, 'ops', at(1))).toBeNull();
      expect(await store.resume(id, 7, at(1))).toBeNull();
      expect(await store.get(id, 7)).toBeNull();
    });

    it('keeps rollouts of other revisions apart', async () => {
      const { store, id } = await aRollout();

      expect(await store.get(id, 8)).toBeNull();
      expect((await store.join(aJoin(id, 'web-b', 0, { revision: 8 }))).canary).toBe('web-b');
    });

    it('moves canary to rolling for the canary only, and may be promoted again', async () => {
      const { store, id, joined } = await aRollout();

      expect(await store.promote(id, 7, 'web-b', at(1_000))).toEqual(joined);
      const promoted = await store.promote(id, 7, 'web-a', at(2_000));
      const again = await store.promote(id, 7, 'web-a', at(3_000));

      expect(promoted).toEqual({ ...joined, state: 'rolling', updatedAt: at(2_000).toISOString() });
      expect(again).toEqual(promoted);
      expect(await store.get(id, 7)).toEqual(promoted);
    });

    it('keeps the first halt and its reason, and counts every node that failed', async () => {
      const { store, id, joined } = await aRollout();

      const halted = await store.halt(id, 7, 'web-b', 'probe failed on web-b', at(1_000));
      const again = await store.halt(id, 7, 'web-c', 'reload failed on web-c', at(2_000));

      expect(halted).toEqual({
        ...joined,
        state: 'halted',
        haltedBy: 'web-b',
        reason: 'probe failed on web-b',
        failed: ['web-b'],
        updatedAt: at(1_000).toISOString(),
      });
      expect(again).toEqual({ ...halted, failed: ['web-b', 'web-c'] });
      expect(await store.get(id, 7)).toEqual(again);
    });

    it('halts a rolling rollout, which never becomes rolling again by itself', async () => {
      const { store, id } = await aRollout();
      await store.promote(id, 7, 'web-a', at(1_000));

      const halted = await store.halt(id, 7, 'web-c', 'probe failed on web-c', at(2_000));
      const promoted = await store.promote(id, 7, 'web-a', at(3_000));

      expect(halted?.state).toBe('halted');
      expect(promoted).toEqual(halted);
      expect((await store.get(id, 7))?.state).toBe('halted');
    });

    it('lets a halt win over a simultaneous promote by the canary', async () => {
      const { store, id } = await aRollout();

      await Promise.all([
        store.halt(id, 7, 'web-b', 'probe failed on web-b', at(1_000)),
        store.promote(id, 7, 'web-a', at(1_000)),
      ]);

      expect(await store.get(id, 7)).toMatchObject({ state: 'halted', haltedBy: 'web-b' });
    });

    it('answers simultaneous halts with the one halt that won, and counts them all', async () => {
      const { store, id } = await aRollout();
      const nodes = ['web-b', 'web-c', 'web-d'];

      const answers = await Promise.all(
        nodes.map((node) => store.halt(id, 7, node, `failed on ${node}`, at(1_000))),
      );

      const final = await store.get(id, 7);
      for (const answer of answers)
        expect(answer).toMatchObject({ state: 'halted', haltedBy: final?.haltedBy, reason: final?.reason });
      expect(final?.reason).toBe(`failed on ${final?.haltedBy}`);
      expect(final?.failed).toEqual(nodes);
    });

    it('refuses takeOver before the canary deadline and at it', async () => {
      const { store, id, joined } = await aRollout();

      expect(await store.takeOver(aJoin(id, 'web-b', DEADLINE_MS - 1))).toBeNull();
      expect(await store.takeOver(aJoin(id, 'web-b', DEADLINE_MS))).toBeNull();
      expect(await store.get(id, 7)).toEqual(joined);
    });

    it('hands the canary role over after the deadline, with a new deadline', async () => {
      const { store, id, joined } = await aRollout();

      const taken = await store.takeOver(aJoin(id, 'web-b', DEADLINE_MS + 1, { maxParallel: 9 }));

      expect(taken).toEqual({
        ...joined,
        canary: 'web-b',
        canaryDeadline: at(2 * DEADLINE_MS + 1).toISOString(),
        updatedAt: at(DEADLINE_MS + 1).toISOString(),
      });
      expect(await store.takeOver(aJoin(id, 'web-c', DEADLINE_MS + 2))).toBeNull();
      expect((await store.promote(id, 7, 'web-a', at(DEADLINE_MS + 3)))?.state).toBe('canary');
      expect((await store.promote(id, 7, 'web-b', at(DEADLINE_MS + 4)))?.state).toBe('rolling');
    });

    it('lets exactly one of many simultaneous takeOvers succeed', async () => {
      const { store, id } = await aRollout();
      const nodes = ['web-b', 'web-c', 'web-d', 'web-e'];

      const taken = await Promise.all(nodes.map((node) => store.takeOver(aJoin(id, node, DEADLINE_MS + 1))));

      const winners = taken.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect((await store.get(id, 7))?.canary).toBe(winners[0]?.canary);
    });

    it('refuses takeOver of a rolling or a halted rollout', async () => {
      const { store, id } = await aRollout();
      await store.promote(id, 7, 'web-a', at(1_000));
      const other = uniqueName('cert');
      await store.join(aJoin(other, 'web-a'));
      await store.halt(other, 7, 'web-c', 'probe failed', at(1_000));

      expect(await store.takeOver(aJoin(id, 'web-b', DEADLINE_MS + 1))).toBeNull();
      expect(await store.takeOver(aJoin(other, 'web-b', DEADLINE_MS + 1))).toBeNull();
    });

    it('gives a join after the canary deadline the canary role, to exactly one of many', async () => {
      const { store, id } = await aRollout();
      const late = ['web-b', 'web-c', 'web-d'];

      const answers = await Promise.all(late.map((node) => store.join(aJoin(id, node, DEADLINE_MS + 1))));

      const final = await store.get(id, 7);
      expect(late).toContain(final?.canary);
      expect(final).toMatchObject({
        state: 'canary',
        canaryDeadline: at(2 * DEADLINE_MS + 1).toISOString(),
        joined: ['web-a', ...late],
      });
      expect(answers.map((r) => r.canary)).toEqual(late.map(() => final?.canary));
    });

    describe('served and complete', () => {
      it('records who serves the revision and completes when the last declared node does', async () => {
        const { store, id } = await aRollout({ nodes: ['web-a', 'web-b'] });
        await store.promote(id, 7, 'web-a', at(1_000));

        const first = await store.served(id, 7, 'web-a', at(2_000));
        const outsider = await store.served(id, 7, 'web-x', at(3_000));
        const last = await store.served(id, 7, 'web-b', at(4_000));

        expect(first).toMatchObject({ state: 'rolling', done: ['web-a'], completedAt: null });
        // A node the configuration does not declare is counted, and not waited for.
        expect(outsider).toMatchObject({ state: 'rolling', done: ['web-a', 'web-x'] });
        expect(last).toMatchObject({
          state: 'complete',
          done: ['web-a', 'web-b', 'web-x'],
          completedAt: at(4_000).toISOString(),
          updatedAt: at(4_000).toISOString(),
        });
        expect(await store.served(id, 7, 'web-b', at(5_000))).toMatchObject({ state: 'complete' });
        expect(await store.get(id, 7)).toMatchObject({
          state: 'complete',
          completedAt: at(4_000).toISOString(),
        });
      });

      it('completes a canary-only fleet when its one node serves', async () => {
        const { store, id } = await aRollout({ nodes: ['web-a'] });

        await store.promote(id, 7, 'web-a', at(1_000));
        const served = await store.served(id, 7, 'web-a', at(1_000));

        expect(served).toMatchObject({ state: 'complete', done: ['web-a'] });
      });

      it('without declared nodes, awaits every node that joined', async () => {
        const { store, id } = await aRollout();
        await store.join(aJoin(id, 'web-b', 1_000));
        await store.promote(id, 7, 'web-a', at(2_000));

        expect(await store.served(id, 7, 'web-a', at(3_000))).toMatchObject({ state: 'rolling' });
        expect(await store.served(id, 7, 'web-b', at(4_000))).toMatchObject({ state: 'complete' });
      });

      it('reopens a complete rollout without declared nodes when a new node joins', async () => {
        const { store, id } = await aRollout();
        await store.promote(id, 7, 'web-a', at(1_000));
        await store.served(id, 7, 'web-a', at(2_000));

        // A node that already serves it joining again changes nothing.
        expect(await store.join(aJoin(id, 'web-a', 3_000))).toMatchObject({ state: 'complete' });
        const grown = await store.join(aJoin(id, 'web-b', 4_000));
        expect(grown).toMatchObject({
          state: 'rolling',
          completedAt: null,
          joined: ['web-a', 'web-b'],
          updatedAt: at(4_000).toISOString(),
        });
        expect(await store.served(id, 7, 'web-b', at(5_000))).toMatchObject({ state: 'complete' });
      });

      it('keeps a declared rollout complete when an undeclared node joins', async () => {
        const { store, id } = await aRollout({ nodes: ['web-a'] });
        await store.promote(id, 7, 'web-a', at(1_000));
        await store.served(id, 7, 'web-a', at(2_000));

        expect(await store.join(aJoin(id, 'web-x', 3_000))).toMatchObject({ state: 'complete' });
      });

      it('completes exactly once when the last nodes serve at the same moment', async () => {
        const nodes = ['web-a', 'web-b', 'web-c', 'web-d'];
        const { store, id } = await aRollout({ nodes });
        await store.promote(id, 7, 'web-a', at(1_000));

        await Promise.all(nodes.map((node) => store.served(id, 7, node, at(2_000))));

        expect(await store.get(id, 7)).toMatchObject({ state: 'complete', done: nodes });
      });

      it('does not complete a halted rollout; a node in the middle still counts as served', async () => {
        const { store, id } = await aRollout({ nodes: ['web-a', 'web-b'] });
        await store.promote(id, 7, 'web-a', at(1_000));
        await store.served(id, 7, 'web-a', at(2_000));
        await store.halt(id, 7, 'web-c', 'probe failed on web-c', at(3_000));

        const served = await store.served(id, 7, 'web-b', at(4_000));

        expect(served).toMatchObject({ state: 'halted', done: ['web-a', 'web-b'], failed: ['web-c'] });
      });

      it('takes a node that serves the revision after all out of failed', async () => {
        const { store, id } = await aRollout({ nodes: ['web-a'] });
        await store.halt(id, 7, 'web-a', 'probe failed on web-a', at(1_000));
        await store.resume(id, 7, at(2_000));

        expect(await store.served(id, 7, 'web-a', at(3_000))).toMatchObject({ done: ['web-a'], failed: [] });
      });
    });

    describe('pause and resume', () => {
      it('pauses a canary or rolling rollout once: the first pause is kept', async () => {
        const { store, id, joined } = await aRollout();

        const paused = await store.pause(id, 7, 'ops@host-1', at(1_000));
        const again = await store.pause(id, 7, 'ops@host-2', at(2_000));
        await store.promote(id, 7, 'web-a', at(3_000));

        expect(paused).toEqual({
          ...joined,
          pausedBy: 'ops@host-1',
          pausedAt: at(1_000).toISOString(),
          updatedAt: at(1_000).toISOString(),
        });
        expect(again).toEqual(paused);
        // The canary that was installing finishes: a pause stops new slots, not work in progress.
        expect(await store.get(id, 7)).toMatchObject({ state: 'rolling', pausedBy: 'ops@host-1' });
      });

      it('resumes a paused rollout where it was', async () => {
        const { store, id } = await aRollout();
        await store.promote(id, 7, 'web-a', at(1_000));
        const paused = await store.pause(id, 7, 'ops', at(2_000));

        const resumed = await store.resume(id, 7, at(3_000));

        expect(resumed).toEqual({
          ...paused,
          pausedBy: null,
          pausedAt: null,
          updatedAt: at(3_000).toISOString(),
        });
        expect(await store.resume(id, 7, at(4_000))).toEqual(resumed);
      });

      it('refuses to pause a halted or complete rollout, leaving it as it is', async () => {
        const { store, id } = await aRollout({ nodes: ['web-a'] });
        await store.promote(id, 7, 'web-a', at(1_000));
        const complete = await store.served(id, 7, 'web-a', at(2_000));
        const other = await aRollout();
        const halted = await other.store.halt(other.id, 7, 'web-a', 'probe failed', at(1_000));

        expect(await store.pause(id, 7, 'ops', at(3_000))).toEqual(complete);
        expect(await other.store.pause(other.id, 7, 'ops', at(3_000))).toEqual(halted);
      });

      it('completes a paused rollout whose last node serves, and clears the pause', async () => {
        const { store, id } = await aRollout({ nodes: ['web-a'] });
        await store.pause(id, 7, 'ops', at(1_000));

        await store.promote(id, 7, 'web-a', at(2_000));
        const served = await store.served(id, 7, 'web-a', at(3_000));

        expect(served).toMatchObject({ state: 'complete', pausedBy: null, pausedAt: null });
      });

      it('resumes a halted rollout as canary: the failed node named, its deadline passed, failures kept', async () => {
        const { store, id } = await aRollout();
        await store.promote(id, 7, 'web-a', at(1_000));
        await store.join(aJoin(id, 'web-c', 1_500));
        await store.halt(id, 7, 'web-c', 'probe failed on web-c', at(2_000));
        await store.pause(id, 7, 'ops', at(2_500));

        const resumed = await store.resume(id, 7, at(3_000));

        expect(resumed).toMatchObject({
          state: 'canary',
          canary: 'web-c',
          canaryDeadline: at(3_000).toISOString(),
          haltedBy: null,
          reason: null,
          failed: ['web-c'],
          pausedBy: null,
          pausedAt: null,
          updatedAt: at(3_000).toISOString(),
        });
        // A halted rollout cannot be paused: the resume reopened it unpaused either way.
        expect(await store.resume(id, 7, at(3_500))).toEqual(resumed);
      });

      it('gives the canary role of a resumed rollout to the first node to join', async () => {
        const { store, id } = await aRollout();
        await store.halt(id, 7, 'web-a', 'probe failed on web-a', at(1_000));
        await store.resume(id, 7, at(2_000));

        const first = await store.join(aJoin(id, 'web-b', 2_001));
        const named = await store.join(aJoin(id, 'web-a', 2_002));

        expect(first).toMatchObject({
          state: 'canary',
          canary: 'web-b',
          canaryDeadline: at(2_001 + DEADLINE_MS).toISOString(),
        });
        expect(named).toMatchObject({ canary: 'web-b' });
        expect((await store.promote(id, 7, 'web-b', at(3_000)))?.state).toBe('rolling');
      });

      it('lets the named node of a resumed rollout take the role back when it joins first', async () => {
        const { store, id } = await aRollout();
        await store.halt(id, 7, 'web-a', 'probe failed on web-a', at(1_000));
        await store.resume(id, 7, at(2_000));

        const named = await store.join(aJoin(id, 'web-a', 2_001));
        const other = await store.join(aJoin(id, 'web-b', 2_002));

        expect(named).toMatchObject({
          canary: 'web-a',
          canaryDeadline: at(2_001 + DEADLINE_MS).toISOString(),
        });
        expect(other).toMatchObject({ canary: 'web-a' });
      });
    });
  });
}
