import { beforeEach, describe, expect, it, vi } from 'vitest';
import { reconcileAll } from '../../../core/agent/agent-loop.ts';
import { FULL_RECONCILE_EVERY, ReconcileMemory } from '../../../core/agent/reconcile-memory.ts';
import type { AgentDeps } from '../../../core/agent/sync/agent-deps.ts';
import type { SyncOutcome } from '../../../core/agent/sync/outcome.ts';
import type { CertificatePlan } from '../../../core/agent/sync/plan.ts';
import { aServerPki } from '../../support/agent-keystores.ts';
import { publishRevision } from '../../support/agent-revisions.ts';
import { aFleet, aNode, CERT, type Fleet } from '../../support/memory-fleet.ts';

/** A daemon's reconciles as runAgent runs them: one memory, fed by every outcome and report write. */
function aDaemon(deps: AgentDeps, plan: CertificatePlan) {
  const memory = new ReconcileMemory();
  const watched = { ...deps, status: memory.watch(deps.status) };
  const observer = { onSync: (outcome: SyncOutcome) => memory.remember(outcome) };
  return async () => (await reconcileAll(watched, { plans: [plan], memory, observer }))[0];
}

/** Publishes a revision as the renewer does: the state, then the head. */
async function publish(fleet: Fleet, pki: Awaited<ReturnType<typeof aServerPki>>) {
  const revision = await publishRevision(fleet, CERT, pki);
  await fleet.state.advanceHead(CERT, revision.revision);
  return revision;
}

describe('a reconcile with a memory', () => {
  let fleet: Fleet;
  let pki: Awaited<ReturnType<typeof aServerPki>>;
  beforeEach(async () => {
    fleet = aFleet();
    pki = await aServerPki();
  });

  it('reads the head alone while nothing changes, and everything every 8th time', async () => {
    await publish(fleet, pki);
    const node = aNode(fleet, 'n1', 1001);
    const reconcile = aDaemon(node.deps, node.plan);
    expect((await reconcile())?.result).toBe('applied');
    const stateReads = vi.spyOn(fleet.state, 'get');
    const reportReads = vi.spyOn(fleet.status, 'get');
    const headReads = vi.spyOn(fleet.state, 'head');

    const results: (string | undefined)[] = [];
    for (let i = 1; i < FULL_RECONCILE_EVERY; i++) results.push((await reconcile())?.result);
    expect(results).toEqual(Array(FULL_RECONCILE_EVERY - 1).fill('up-to-date'));
    expect(stateReads).not.toHaveBeenCalled();
    expect(reportReads).not.toHaveBeenCalled();
    expect(headReads).toHaveBeenCalledTimes(FULL_RECONCILE_EVERY - 1);

    expect((await reconcile())?.result).toBe('up-to-date');
    expect(stateReads).toHaveBeenCalledTimes(1);
    expect(reportReads).toHaveBeenCalledTimes(1);
  });

  it('syncs a certificate whose revision the head moved past, at once', async () => {
    await publish(fleet, pki);
    const node = aNode(fleet, 'n1', 1001);
    const reconcile = aDaemon(node.deps, node.plan);
    await reconcile();
    await publish(fleet, pki);
    expect(await reconcile()).toMatchObject({ result: 'applied', installedRevision: 2 });
  });

  it('catches up at the next full reconcile when the head was not advanced and the event was lost', async () => {
    await publish(fleet, pki);
    const node = aNode(fleet, 'n1', 1001);
    const reconcile = aDaemon(node.deps, node.plan);
    await reconcile();
    await publishRevision(fleet, CERT, pki);
    const installed: (number | null | undefined)[] = [];
    for (let i = 1; i <= FULL_RECONCILE_EVERY; i++) installed.push((await reconcile())?.installedRevision);
    expect(installed).toEqual([...Array(FULL_RECONCILE_EVERY - 1).fill(1), 2]);
  });

  it('reads everything after a report that may not have reached the store', async () => {
    await publish(fleet, pki);
    const node = aNode(fleet, 'n1', 1001);
    const reconcile = aDaemon(node.deps, node.plan);
    const put = vi.spyOn(fleet.status, 'put').mockRejectedValueOnce(new Error('ECONNRESET'));
    expect((await reconcile())?.result).toBe('applied');
    put.mockRestore();
    const stateReads = vi.spyOn(fleet.state, 'get');
    await reconcile();
    expect(stateReads).toHaveBeenCalledTimes(1);
    // The full reconcile found its report as it should be: the next one reads the head alone again.
    expect((await fleet.status.get(CERT, 'n1'))?.result).toBe('applied');
    await reconcile();
    expect(stateReads).toHaveBeenCalledTimes(1);
  });

  it('sets right a report another writer changed, at the next full reconcile', async () => {
    await publish(fleet, pki);
    const node = aNode(fleet, 'n1', 1001);
    const reconcile = aDaemon(node.deps, node.plan);
    await reconcile();
    const mine = await fleet.status.get(CERT, 'n1');
    if (!mine) throw new Error('no report');
    await fleet.status.put({ ...mine, result: 'failed', errorCode: 'UNEXPECTED', error: 'read ECONNRESET' });
    for (let i = 1; i < FULL_RECONCILE_EVERY; i++) await reconcile();
    expect((await fleet.status.get(CERT, 'n1'))?.result).toBe('failed');
    await reconcile();
    expect((await fleet.status.get(CERT, 'n1'))?.result).toBe('unchanged');
  });

  it('settles a retired certificate at the next reconcile: retiring takes it out of the head', async () => {
    await publish(fleet, pki);
    const node = aNode(fleet, 'n1', 1001);
    const reconcile = aDaemon(node.deps, node.plan);
    await reconcile();
    await fleet.state.recordRetirement(CERT, '2031-06-01T08:00:00.000Z');
    expect(await fleet.state.head()).toEqual(new Map());
    expect((await reconcile())?.result).toBe('retired');
  });

  it('reads everything when the files on disk are not what it installed', async () => {
    await publish(fleet, pki);
    const node = aNode(fleet, 'n1', 1001);
    const reconcile = aDaemon(node.deps, node.plan);
    await reconcile();
    await node.files.write({ path: node.path, bytes: Buffer.from('edited by hand'), mode: 0o600 });
    expect((await reconcile())?.result).toBe('applied');
  });
});
