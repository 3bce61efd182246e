import { describe, expect, it } from 'vitest';
import type { Rollout, RolloutJoin, RolloutStore } from '../../core/ports/rollout-store.ts';
import { uniqueName } from './unique-name.ts';

export interface RolloutStoreSubject {
  readonly store: RolloutStore;
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
    now: at(afterMs),
    canaryDeadline: at(afterMs + DEADLINE_MS),
    ...overrides,
  } satisfies RolloutJoin;
}

/** The promises of core/ports/rollout-store.ts. */
export function describeRolloutStoreContract(
  name: string,
  make: () => RolloutStoreSubject | Promise<RolloutStoreSubject>,
): void {
  describe(`RolloutStore contract: ${name}`, () => {
    /** A rollout whose canary is `web-a`, joined at START. */
    async function aRollout(): Promise<{ store: RolloutStore; id: string; joined: Rollout }> {
      const { store } = await make();
      const id = uniqueName('cert');
      return { store, id, joined: await store.join(aJoin(id, 'web-a')) };
    }

    it('makes the first node to join the canary', async () => {
      const { store, id, joined } = await aRollout();

      const expected: Rollout = {
        certificateId: id,
        revision: 7,
        canary: 'web-a',
        state: 'canary',
        maxParallel: 2,
        canaryDeadline: at(DEADLINE_MS).toISOString(),
        haltedBy: null,
        reason: null,
        startedAt: at(0).toISOString(),
        updatedAt: at(0).toISOString(),
      };
      expect(joined).toEqual(expected);
      expect(await store.get(id, 7)).toEqual(expected);
    });

    it('answers every later join with the existing record, unchanged', async () => {
      const { store, id, joined } = await aRollout();

      const later = await store.join(aJoin(id, 'web-b', 5_000, { maxParallel: 9 }));

      expect(later).toEqual(joined);
      expect(await store.get(id, 7)).toEqual(joined);
    });

    it('makes exactly one of many simultaneous joins the canary', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      const nodes = ['web-a', 'web-b', 'web-c', 'web-d', 'web-e'];

      const records = await Promise.all(nodes.map((node) => store.join(aJoin(id, node))));

      const canaries = new Set(records.map((r) => r.canary));
      expect(canaries.size).toBe(1);
      expect(nodes).toContain([...canaries][0]);
    });

    it('has no record of a rollout nobody joined, and changes none', async () => {
      const { store } = await make();
      const id = uniqueName('cert');

      expect(await store.get(id, 7)).toBeNull();
      expect(await store.promote(id, 7, 'web-a', at(1))).toBeNull();
      expect(await store.halt(id, 7, 'web-a', 'probe failed', at(1))).toBeNull();
      expect(await store.takeOver(aJoin(id, 'web-a', 2 * DEADLINE_MS))).toBeNull();
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

    it('keeps the first halt and its reason', async () => {
      const { store, id, joined } = await aRollout();

      const halted = await store.halt(id, 7, 'web-b', 'probe failed on web-b', at(1_000));
      const again = await store.halt(id, 7, 'web-c', 'reload failed on web-c', at(2_000));

      expect(halted).toEqual({
        ...joined,
        state: 'halted',
        haltedBy: 'web-b',
        reason: 'probe failed on web-b',
        updatedAt: at(1_000).toISOString(),
      });
      expect(again).toEqual(halted);
      expect(await store.get(id, 7)).toEqual(halted);
    });

    it('halts a rolling rollout, which never becomes rolling again', async () => {
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

    it('answers simultaneous halts with the one halt that won', async () => {
      const { store, id } = await aRollout();

      const answers = await Promise.all(
        ['web-b', 'web-c', 'web-d'].map((node) => store.halt(id, 7, node, `failed on ${node}`, at(1_000))),
      );

      const final = await store.get(id, 7);
      expect(answers).toEqual([final, final, final]);
      expect(final?.reason).toBe(`failed on ${final?.haltedBy}`);
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
  });
}
