/**
 * The rollout state machine (core/ports/rollout-transitions.ts) as pure functions: every state and
 * every call, including the calls a state must refuse. The stores' own promises (conditional writes,
 * races) are the contract suite's: test/contract/rollout-store.contract.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  newRollout,
  type Rollout,
  type RolloutJoin,
  type RolloutState,
} from '../../../core/ports/rollout-store.ts';
import {
  afterHalt,
  afterJoin,
  afterPause,
  afterPromote,
  afterResume,
  afterServed,
  afterTakeOver,
  awaitedNodes,
  canaryExpired,
  everyNodeServes,
  grantsSlots,
  pendingNodes,
} from '../../../core/ports/rollout-transitions.ts';

const T0 = Date.parse('2031-06-01T08:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);
const MINUTE = 60_000;

function aJoin(nodeId: string, afterMs = 0, nodes: readonly string[] | null = null): RolloutJoin {
  return {
    certificateId: 'web',
    revision: 4,
    nodeId,
    maxParallel: 2,
    nodes,
    now: at(afterMs),
    canaryDeadline: at(afterMs + MINUTE),
  };
}

/** A rollout in `state`, canary n1, awaiting n1..n3 unless told otherwise. */
function aRollout(state: RolloutState, overrides: Partial<Rollout> = {}): Rollout {
  return { ...newRollout(aJoin('n1', 0, ['n1', 'n2', 'n3'])), state, ...overrides };
}

describe('the rollout record a first join creates', () => {
  it('is canary, with the joiner as canary and the only joined node, the declared nodes sorted', () => {
    expect(newRollout(aJoin('n2', 0, ['n3', 'n1', 'n2', 'n1']))).toMatchObject({
      state: 'canary',
      canary: 'n2',
      maxParallel: 2,
      nodes: ['n1', 'n2', 'n3'],
      joined: ['n2'],
      done: [],
      failed: [],
      pausedAt: null,
      completedAt: null,
    });
  });
});

describe('awaited nodes', () => {
  it('are the declared nodes, or every node that joined', () => {
    expect(awaitedNodes(aRollout('rolling'))).toEqual(['n1', 'n2', 'n3']);
    expect(awaitedNodes(aRollout('rolling', { nodes: null, joined: ['n1', 'n4'] }))).toEqual(['n1', 'n4']);
  });

  it('are all served only when none is pending, and never when none is awaited', () => {
    expect(pendingNodes(aRollout('rolling', { done: ['n2', 'n9'] }))).toEqual(['n1', 'n3']);
    expect(everyNodeServes(aRollout('rolling', { done: ['n1', 'n2', 'n3'] }))).toBe(true);
    expect(everyNodeServes(aRollout('rolling', { nodes: null, joined: [] }))).toBe(false);
  });
});

describe('join', () => {
  it('adds the node to joined once, and changes nothing else', () => {
    const record = aRollout('rolling');
    const joined = afterJoin(record, aJoin('n3', 1_000));
    expect(joined).toEqual({ ...record, joined: ['n1', 'n3'] });
    expect(afterJoin(joined, aJoin('n3', 2_000))).toBe(joined);
  });

  it('takes an expired canary role, and leaves one within its deadline alone', () => {
    const record = aRollout('canary');
    expect(afterJoin(record, aJoin('n2', MINUTE)).canary).toBe('n1');
    expect(afterJoin(record, aJoin('n2', MINUTE + 1))).toMatchObject({
      canary: 'n2',
      canaryDeadline: at(2 * MINUTE + 1).toISOString(),
      updatedAt: at(MINUTE + 1).toISOString(),
    });
  });

  it('reopens a complete rollout without declared nodes for a node that does not serve it', () => {
    const complete = aRollout('complete', {
      nodes: null,
      joined: ['n1'],
      done: ['n1'],
      completedAt: at(5).toISOString(),
    });
    expect(afterJoin(complete, aJoin('n1', 10))).toBe(complete);
    expect(afterJoin(complete, aJoin('n2', 10))).toMatchObject({
      state: 'rolling',
      completedAt: null,
      joined: ['n1', 'n2'],
    });
    // Declared nodes all serve it: a newcomer is not awaited.
    const declared = aRollout('complete', { done: ['n1', 'n2', 'n3'] });
    expect(afterJoin(declared, aJoin('n4', 10)).state).toBe('complete');
  });
});

describe('promote', () => {
  it('moves canary to rolling for the canary only', () => {
    const record = aRollout('canary');
    expect(afterPromote(record, 'n2', at(1))).toBe(record);
    expect(afterPromote(record, 'n1', at(1))).toMatchObject({ state: 'rolling' });
    for (const state of ['rolling', 'halted', 'complete'] as const) {
      const other = aRollout(state);
      expect(afterPromote(other, 'n1', at(1))).toBe(other);
    }
  });
});

describe('served', () => {
  it('completes canary and rolling when the last awaited node serves, clearing a pause', () => {
    for (const state of ['canary', 'rolling'] as const) {
      const record = aRollout(state, { done: ['n1', 'n2'], pausedBy: 'ops', pausedAt: at(1).toISOString() });
      expect(afterServed(record, 'n3', at(9))).toMatchObject({
        state: 'complete',
        done: ['n1', 'n2', 'n3'],
        completedAt: at(9).toISOString(),
        pausedBy: null,
        pausedAt: null,
      });
    }
  });

  it('only counts the node while others are pending, or the rollout is halted', () => {
    expect(afterServed(aRollout('rolling'), 'n2', at(9))).toMatchObject({ state: 'rolling', done: ['n2'] });
    const halted = aRollout('halted', { done: ['n1', 'n2'], failed: ['n3'] });
    expect(afterServed(halted, 'n3', at(9))).toMatchObject({
      state: 'halted',
      done: ['n1', 'n2', 'n3'],
      failed: [],
    });
  });
});

describe('halt', () => {
  it('halts canary, rolling and complete; the first halt wins and every failure is counted', () => {
    for (const state of ['canary', 'rolling', 'complete'] as const) {
      const halted = afterHalt(aRollout(state), 'n2', 'probe failed', at(5));
      expect(halted).toMatchObject({
        state: 'halted',
        haltedBy: 'n2',
        reason: 'probe failed',
        failed: ['n2'],
      });
      const again = afterHalt(halted, 'n3', 'reload failed', at(6));
      expect(again).toEqual({ ...halted, failed: ['n2', 'n3'] });
      expect(afterHalt(again, 'n3', 'reload failed', at(7))).toBe(again);
    }
  });
});

describe('takeOver', () => {
  it('is refused within the deadline and at it, and outside the canary state', () => {
    expect(canaryExpired(aRollout('canary'), at(MINUTE))).toBe(false);
    expect(afterTakeOver(aRollout('canary'), aJoin('n2', MINUTE))).toBeNull();
    expect(afterTakeOver(aRollout('rolling'), aJoin('n2', 2 * MINUTE))).toBeNull();
    expect(afterTakeOver(aRollout('canary'), aJoin('n2', MINUTE + 1))?.canary).toBe('n2');
  });
});

describe('pause', () => {
  it('pauses canary and rolling once, and nothing else', () => {
    for (const state of ['canary', 'rolling'] as const) {
      const paused = afterPause(aRollout(state), 'ops@a', at(3));
      expect(paused).toMatchObject({ state, pausedBy: 'ops@a', pausedAt: at(3).toISOString() });
      expect(afterPause(paused, 'ops@b', at(4))).toBe(paused);
      expect(grantsSlots(paused)).toBe(false);
    }
    for (const state of ['halted', 'complete'] as const) {
      const record = aRollout(state);
      expect(afterPause(record, 'ops', at(3))).toBe(record);
    }
  });

  it('is what stops slots: a halted rollout grants them (the node then sees it halted), no record does not', () => {
    expect(grantsSlots(aRollout('rolling'))).toBe(true);
    expect(grantsSlots(aRollout('halted'))).toBe(true);
    expect(grantsSlots(null)).toBe(false);
  });
});

describe('resume', () => {
  it('unpauses a paused rollout in the state it was in', () => {
    const paused = afterPause(aRollout('rolling'), 'ops', at(3));
    expect(afterResume(paused, at(4))).toEqual({
      ...paused,
      pausedBy: null,
      pausedAt: null,
      updatedAt: at(4).toISOString(),
    });
  });

  it('reopens a halted rollout as canary, the failed node named and its deadline passed', () => {
    const halted = afterHalt(afterPause(aRollout('rolling'), 'ops', at(1)), 'n3', 'probe failed', at(2));
    const resumed = afterResume(halted, at(10));
    expect(resumed).toMatchObject({
      state: 'canary',
      canary: 'n3',
      canaryDeadline: at(10).toISOString(),
      haltedBy: null,
      reason: null,
      failed: ['n3'],
      pausedAt: null,
    });
    // The first node to join after the resume takes the canary role (n2 here, or n3 itself).
    expect(afterJoin(resumed, aJoin('n2', 11)).canary).toBe('n2');
    expect(afterJoin(resumed, aJoin('n3', 11))).toMatchObject({
      canary: 'n3',
      canaryDeadline: at(11 + MINUTE).toISOString(),
    });
  });

  it('changes nothing that is neither paused nor halted', () => {
    for (const state of ['canary', 'rolling', 'complete'] as const) {
      const record = aRollout(state);
      expect(afterResume(record, at(4))).toBe(record);
    }
  });
});
