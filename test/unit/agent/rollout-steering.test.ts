/**
 * Agents steered through their rollout record, on the in-memory stores and fake servers: the
 * published maxParallel is the one every node obeys; a pause stops new slots while a node in the
 * middle finishes; a resume lets waiting nodes go and reopens a halted rollout with a canary; the
 * record becomes complete when every awaited node serves the revision.
 */
import { describe, expect, it } from 'vitest';
import { syncCertificate } from '../../../core/agent/sync/sync-certificate.ts';
import type { RolloutTerms } from '../../../core/ports/rollout-store.ts';
import { storeRevisionObjects } from '../../../core/renewal/publish-revision.ts';
import type { Revision } from '../../../core/renewal/types.ts';
import { aServerPki, serialOf } from '../../support/agent-keystores.ts';
import { aCertificateConfig } from '../../support/agent-revisions.ts';
import { aFleet, aNode, CERT, type Fleet, PASSWORD } from '../../support/memory-fleet.ts';

/** Publishes the next revision as the renewer does, with `terms` (none: as before 0.3). */
async function publish(fleet: Fleet, terms?: RolloutTerms): Promise<{ revision: Revision; serial: string }> {
  const pki = await aServerPki();
  const number = ((await fleet.state.get(CERT)).current?.revision ?? 0) + 1;
  const revision = await storeRevisionObjects({
    cert: aCertificateConfig(CERT),
    material: { privateKey: pki.leafKey, chain: pki.chain },
    revision: number,
    directory: 'https://ca.invalid/directory',
    configHash: 'test',
    now: new Date(),
    keystores: fleet.keystores,
    secrets: { resolve: async () => PASSWORD },
  });
  await fleet.state.publish(revision, terms);
  return { revision, serial: serialOf(pki) };
}

/** One node on the fleet's stores, with a sync of its one certificate. */
function aSyncingNode(
  fleet: Fleet,
  nodeId: string,
  port: number,
  options: { agentMaxParallel?: number; slotWaitMs?: number } = {},
) {
  const node = aNode(fleet, nodeId, port, options);
  return { ...node, nodeId, sync: () => syncCertificate(node.deps, node.plan) };
}
type Node = ReturnType<typeof aSyncingNode>;

/** A promise and its resolve function: a reload that waits for the test to let it finish. */
function aGate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Counts reloads in progress across nodes, and the most at once. */
function watchParallel(nodes: readonly Node[]): { readonly most: () => number } {
  let inside = 0;
  let most = 0;
  for (const node of nodes)
    node.server.onReload = async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((resolve) => setTimeout(resolve, 15));
      inside--;
    };
  return { most: () => most };
}

const messages = (fleet: Fleet) => fleet.log.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('maxParallel: one source of truth', () => {
  it('every node obeys the published value; a differing agent value is ignored with a warning', async () => {
    const fleet = aFleet();
    await publish(fleet, { maxParallel: 2, nodes: null });
    const nodes = [
      aSyncingNode(fleet, 'n1', 1001, { agentMaxParallel: 1 }),
      aSyncingNode(fleet, 'n2', 1002, { agentMaxParallel: 5 }),
      aSyncingNode(fleet, 'n3', 1003),
      aSyncingNode(fleet, 'n4', 1004, { agentMaxParallel: 2 }),
      aSyncingNode(fleet, 'n5', 1005, { agentMaxParallel: 1 }),
    ];
    const parallel = watchParallel(nodes);

    const outcomes = await Promise.all(nodes.map((n) => n.sync()));

    expect(outcomes.map((o) => o.result)).toEqual(Array(5).fill('applied'));
    expect(parallel.most()).toBe(2);
    expect(await fleet.rollouts.get(CERT, 1)).toMatchObject({ maxParallel: 2, state: 'complete' });
    const warnings = messages(fleet).filter((m) => m.message === 'agent rollout.maxParallel ignored');
    expect(warnings.map((w) => [w.nodeId, w.agentMaxParallel, w.maxParallel]).sort()).toEqual([
      ['n1', 1, 2],
      ['n2', 5, 2],
      ['n5', 1, 2],
    ]);
  });

  it('a revision published before 0.3 (no terms): the first joiner’s agent value, or 1', async () => {
    const fleet = aFleet();
    await publish(fleet);
    const nodes = [
      aSyncingNode(fleet, 'n1', 1001, { agentMaxParallel: 3 }),
      aSyncingNode(fleet, 'n2', 1002),
      aSyncingNode(fleet, 'n3', 1003),
    ];
    const [first, ...rest] = nodes;
    if (!first) throw new Error('no nodes');
    expect((await first.sync()).result).toBe('applied');
    const parallel = watchParallel(rest);
    await Promise.all(rest.map((n) => n.sync()));
    expect(await fleet.rollouts.get(CERT, 1)).toMatchObject({ maxParallel: 3, nodes: null });
    expect(parallel.most()).toBe(2);

    const other = aFleet();
    await publish(other);
    expect((await aSyncingNode(other, 'n1', 1001).sync()).result).toBe('applied');
    expect((await other.rollouts.get(CERT, 1))?.maxParallel).toBe(1);
  });
});

describe('pause and resume', () => {
  it('a pause lets the node in the middle finish; the waiting nodes wait until the resume', async () => {
    const fleet = aFleet();
    await publish(fleet, { maxParallel: 1, nodes: ['n1', 'n2', 'n3'] });
    const [n1, n2, n3] = [
      aSyncingNode(fleet, 'n1', 1001),
      aSyncingNode(fleet, 'n2', 1002),
      aSyncingNode(fleet, 'n3', 1003),
    ];
    const gate = aGate();
    n1.server.onReload = () => gate.promise;

    const canary = n1.sync();
    await until('the canary to reload', () => n1.server.reloads === 1);
    const waiting = [n2.sync(), n3.sync()];
    await until('both to join', async () => (await fleet.rollouts.get(CERT, 1))?.joined.length === 3);
    await fleet.rollouts.pause(CERT, 1, 'ops@test', new Date());
    gate.open();

    expect((await canary).result).toBe('applied');
    expect(await fleet.rollouts.get(CERT, 1)).toMatchObject({
      state: 'rolling',
      done: ['n1'],
      pausedBy: 'ops@test',
    });
    // Rolling, a free slot, and yet nobody takes it while paused.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect([n2.server.reloads, n3.server.reloads]).toEqual([0, 0]);
    expect(n2.files.writes).toEqual([]);

    await fleet.rollouts.resume(CERT, 1, new Date());
    expect((await Promise.all(waiting)).map((o) => o.result)).toEqual(['applied', 'applied']);
    expect(await fleet.rollouts.get(CERT, 1)).toMatchObject({
      state: 'complete',
      done: ['n1', 'n2', 'n3'],
      pausedAt: null,
    });
  });

  it('a node that waits longer than its slot wait while paused ends interrupted, nothing written', async () => {
    const fleet = aFleet();
    await publish(fleet, { maxParallel: 1, nodes: ['n1', 'n2'] });
    const [n1, n2] = [aSyncingNode(fleet, 'n1', 1001), aSyncingNode(fleet, 'n2', 1002, { slotWaitMs: 60 })];
    expect((await n1.sync()).result).toBe('applied');
    await fleet.rollouts.pause(CERT, 1, 'ops@test', new Date());

    const outcome = await n2.sync();

    expect(outcome).toMatchObject({ result: 'interrupted', message: 'no rollout slot in time' });
    expect(n2.files.writes).toEqual([]);
    await fleet.rollouts.resume(CERT, 1, new Date());
    expect((await n2.sync()).result).toBe('applied');
    expect((await fleet.rollouts.get(CERT, 1))?.state).toBe('complete');
  });

  it('a halted rollout, resumed after the fix: the fixed node is canary again, the rest follow, complete', async () => {
    const fleet = aFleet();
    await publish(fleet, { maxParallel: 1, nodes: ['n1', 'n2', 'n3'] });
    const nodes = [
      aSyncingNode(fleet, 'n1', 1001),
      aSyncingNode(fleet, 'n2', 1002),
      aSyncingNode(fleet, 'n3', 1003),
    ];
    const [n1, n2, n3] = nodes;
    if (!n1 || !n2 || !n3) throw new Error('no nodes');
    for (const n of nodes) expect((await n.sync()).result).toBe('applied');
    const { serial } = await publish(fleet, { maxParallel: 1, nodes: ['n1', 'n2', 'n3'] });
    n1.server.mode = 'fail';
    expect((await n1.sync()).result).toBe('rolled-back');
    n1.server.mode = 'ok';
    expect((await n2.sync()).result).toBe('halted');
    expect(await fleet.rollouts.get(CERT, 2)).toMatchObject({
      state: 'halted',
      haltedBy: 'n1',
      failed: ['n1'],
    });

    const resumed = await fleet.rollouts.resume(CERT, 2, new Date());
    expect(resumed).toMatchObject({ state: 'canary', canary: 'n1', failed: ['n1'] });
    // n2 and n3 come first and wait for the canary the first of them became; the fixed n1 follows.
    const order: string[] = [];
    for (const n of nodes) n.server.onReload = async () => void order.push(n.nodeId);
    const outcomes = await Promise.all([n2.sync(), n3.sync(), n1.sync()]);

    expect(outcomes.map((o) => o.result)).toEqual(['applied', 'applied', 'applied']);
    for (const n of nodes) expect(n.server.served?.serial).toBe(serial);
    const final = await fleet.rollouts.get(CERT, 2);
    expect(final).toMatchObject({ state: 'complete', done: ['n1', 'n2', 'n3'], failed: [] });
    expect(order[0]).toBe(final?.canary);
  });
});

describe('complete', () => {
  it('waits for every declared node, counting others without waiting for them', async () => {
    const fleet = aFleet();
    await publish(fleet, { maxParallel: 2, nodes: ['n1', 'n2'] });
    const [n1, n2, n9] = [
      aSyncingNode(fleet, 'n1', 1001),
      aSyncingNode(fleet, 'n2', 1002),
      aSyncingNode(fleet, 'n9', 1009),
    ];

    await n1.sync();
    await n9.sync();
    expect(await fleet.rollouts.get(CERT, 1)).toMatchObject({ state: 'rolling', done: ['n1', 'n9'] });
    await n2.sync();
    expect(await fleet.rollouts.get(CERT, 1)).toMatchObject({ state: 'complete', done: ['n1', 'n2', 'n9'] });
    expect(
      messages(fleet)
        .filter((m) => m.message === 'rollout complete')
        .map((m) => m.nodeId),
    ).toEqual(['n2']);
  });

  it('a node whose `served` and report were lost to the store records them at its next sync', async () => {
    const fleet = aFleet();
    await publish(fleet, { maxParallel: 1, nodes: ['n1'] });
    const n1 = aSyncingNode(fleet, 'n1', 1001);
    const served = fleet.rollouts.served.bind(fleet.rollouts);
    const put = fleet.status.put.bind(fleet.status);
    // The store fails right after the install: the install stands, its records are lost.
    fleet.rollouts.served = async () => {
      throw new Error('ECONNREFUSED');
    };
    fleet.status.put = async (status) => {
      if (status.result === 'applied') throw new Error('ECONNREFUSED');
      return put(status);
    };

    expect((await n1.sync()).result).toBe('applied');
    expect((await fleet.rollouts.get(CERT, 1))?.state).toBe('rolling');
    expect(messages(fleet).map((m) => m.message)).toContain('rollout progress not recorded');

    fleet.rollouts.served = served;
    fleet.status.put = put;
    expect((await n1.sync()).result).toBe('up-to-date');
    expect(await fleet.rollouts.get(CERT, 1)).toMatchObject({ state: 'complete', done: ['n1'] });
    expect(await fleet.status.get(CERT, 'n1')).toMatchObject({ result: 'unchanged', revisionOnDisk: 1 });
  });
});
