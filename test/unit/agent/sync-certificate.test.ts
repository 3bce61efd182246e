import { beforeEach, describe, expect, it, vi } from 'vitest';
import { handleMessage, reconcileAll } from '../../../core/agent/agent-loop.ts';
import { syncCertificate } from '../../../core/agent/sync/sync-certificate.ts';
import type { EventIntake, IntakeMessage } from '../../../core/ports/event-intake.ts';
import { aServerPki, serialOf } from '../../support/agent-keystores.ts';
import { publishRevision } from '../../support/agent-revisions.ts';
import { aFleet, aNode, CERT, type Fleet } from '../../support/memory-fleet.ts';

describe('syncCertificate', () => {
  let fleet: Fleet;
  beforeEach(() => {
    fleet = aFleet();
  });

  it('installs a new revision: verify, write, reload, probe, status applied, canary promoted, rollout complete', async () => {
    const pki = await aServerPki();
    const revision = await publishRevision(fleet, CERT, pki);
    const node = aNode(fleet, 'n1', 1001);

    const outcome = await syncCertificate(node.deps, node.plan);

    expect(outcome).toMatchObject({ result: 'applied', revision: 1, installedRevision: 1 });
    expect(node.server.served?.serial).toBe(serialOf(pki));
    expect(node.files.writes).toEqual([node.path]);
    expect(await fleet.status.get(CERT, 'n1')).toMatchObject({
      result: 'applied',
      revisionOnDisk: 1,
      revisionServed: 1,
      servedSerial: revision.serial,
      failingSince: null,
    });
    // The one node that joined serves it: a rollout without declared nodes is then complete.
    expect((await fleet.rollouts.get(CERT, 1))?.state).toBe('complete');
  });

  it('is idempotent: a second sync, a duplicate and an older event change nothing', async () => {
    await publishRevision(fleet, CERT, await aServerPki());
    await publishRevision(fleet, CERT, await aServerPki());
    const node = aNode(fleet, 'n1', 1001);
    await syncCertificate(node.deps, node.plan);
    const writes = node.files.writes.length;
    const reloads = node.server.reloads;
    const statusWrites = vi.spyOn(fleet.status, 'put');

    expect((await syncCertificate(node.deps, node.plan)).result).toBe('up-to-date');
    expect((await syncCertificate(node.deps, node.plan, { hint: 2 })).result).toBe('up-to-date');
    expect((await syncCertificate(node.deps, node.plan, { hint: 1 })).result).toBe('up-to-date');

    expect(node.files.writes.length).toBe(writes);
    expect(node.server.reloads).toBe(reloads);
    expect(statusWrites).not.toHaveBeenCalled();
    expect((await node.installed.get(CERT))?.revision).toBe(2);
  });

  it('leaves an unchanged report as it is however old; each reconcile writes the node heartbeat the fleet watch reads', async () => {
    await publishRevision(fleet, CERT, await aServerPki());
    const node = aNode(fleet, 'n1', 1001);
    let now = Date.now();
    const deps = { ...node.deps, clock: { now: () => new Date(now) } };
    await reconcileAll(deps, { plans: [node.plan] });
    const first = await fleet.status.get(CERT, 'n1');
    expect(await fleet.status.heartbeats(['n1'])).toEqual(new Map([['n1', new Date(now).toISOString()]]));
    const statusWrites = vi.spyOn(fleet.status, 'put');

    now += 86_400_000;
    const [outcome] = await reconcileAll(deps, { plans: [node.plan] });
    expect(outcome?.result).toBe('up-to-date');
    expect(statusWrites).not.toHaveBeenCalled();
    expect(await fleet.status.get(CERT, 'n1')).toEqual(first);
    expect(await fleet.status.heartbeats(['n1', 'n2'])).toEqual(
      new Map([['n1', new Date(now).toISOString()]]),
    );
  });

  it('never downgrades: a node with a newer installed revision ignores an older current one', async () => {
    await publishRevision(fleet, CERT, await aServerPki());
    const node = aNode(fleet, 'n1', 1001);
    await node.installed.put({ certificateId: CERT, revision: 7, serial: 'ff', files: {}, installedAt: '' });
    expect((await syncCertificate(node.deps, node.plan, { hint: 1 })).result).toBe('obsolete');
    expect(node.files.writes).toEqual([]);
  });

  it('identical bytes already on disk: no write and no reload, recorded as unchanged', async () => {
    const revision = await publishRevision(fleet, CERT, await aServerPki());
    const node = aNode(fleet, 'n1', 1001);
    const object = revision.objects.find((o) => o.format === 'jks');
    if (!object) throw new Error('no jks object');
    node.files.files.set(node.path, await fleet.keystores.get(object.key));

    expect((await syncCertificate(node.deps, node.plan)).result).toBe('unchanged');
    expect(node.files.writes).toEqual([]);
    expect(node.server.reloads).toBe(0);
    expect((await node.installed.get(CERT))?.revision).toBe(1);
  });

  describe('verification failures write nothing and report the reason', () => {
    async function expectRejected(node: ReturnType<typeof aNode>, reason: string) {
      const outcome = await syncCertificate(node.deps, node.plan);
      expect(outcome).toMatchObject({ result: 'rejected', errorCode: reason });
      expect(node.files.writes).toEqual([]);
      expect(node.server.reloads).toBe(0);
      const status = await fleet.status.get(CERT, node.deps.nodeId);
      expect(status).toMatchObject({ result: 'rejected', errorCode: reason });
      expect(status?.failingSince).not.toBeNull();
    }

    it('tampered bytes', async () => {
      const revision = await publishRevision(fleet, CERT, await aServerPki());
      const object = revision.objects.find((o) => o.format === 'jks');
      if (!object) throw new Error('no jks object');
      const bytes = Buffer.from(await fleet.keystores.get(object.key));
      bytes[bytes.length - 30] = (bytes[bytes.length - 30] ?? 0) ^ 0xff;
      await fleet.keystores.put(object.key, bytes);
      await expectRejected(aNode(fleet, 'n1', 1001), 'CHECKSUM_MISMATCH');
    });

    it('a wrong password', async () => {
      await publishRevision(fleet, CERT, await aServerPki());
      await expectRejected(aNode(fleet, 'n1', 1001, { password: 'not-the-password' }), 'KEYSTORE_PASSWORD');
    });

    it('a certificate for other names', async () => {
      await publishRevision(fleet, CERT, await aServerPki({ sans: ['other.acme-ha.test'] }));
      await expectRejected(aNode(fleet, 'n1', 1001), 'NAMES_NOT_COVERED');
    });

    it('an expired certificate', async () => {
      const day = 86_400_000;
      const pki = await aServerPki({
        notBefore: new Date(Date.now() - 10 * day),
        notAfter: new Date(Date.now() - day),
      });
      await publishRevision(fleet, CERT, pki);
      await expectRejected(aNode(fleet, 'n1', 1001), 'CERTIFICATE_NOT_VALID_NOW');
    });

    it('failingSince stays at the first failure', async () => {
      await publishRevision(fleet, CERT, await aServerPki({ sans: ['other.acme-ha.test'] }));
      const node = aNode(fleet, 'n1', 1001);
      await syncCertificate(node.deps, node.plan);
      const first = (await fleet.status.get(CERT, 'n1'))?.failingSince;
      await new Promise((resolve) => setTimeout(resolve, 5));
      await syncCertificate(node.deps, node.plan);
      expect((await fleet.status.get(CERT, 'n1'))?.failingSince).toBe(first);
    });
  });

  describe('a failed reload rolls back and halts the rollout', () => {
    async function installFirst(nodes: ReturnType<typeof aNode>[]) {
      const old = await aServerPki();
      await publishRevision(fleet, CERT, old);
      for (const node of nodes) expect((await syncCertificate(node.deps, node.plan)).result).toBe('applied');
      return old;
    }

    for (const mode of ['fail', 'ignore'] as const) {
      it(`the canary's server ${mode === 'fail' ? 'refuses the reload' : 'keeps the old certificate'}`, async () => {
        const canary = aNode(fleet, 'n1', 1001);
        const other = aNode(fleet, 'n2', 1002);
        const old = await installFirst([canary, other]);
        await publishRevision(fleet, CERT, await aServerPki());
        canary.server.mode = mode;

        const outcome = await syncCertificate(canary.deps, canary.plan);
        expect(outcome).toMatchObject({ result: 'rolled-back', installedRevision: 1 });
        canary.server.mode = 'ok';
        // Restored and reloaded: the old certificate is served again.
        expect(canary.server.served?.serial).toBe(serialOf(old));
        expect((await canary.installed.get(CERT))?.revision).toBe(1);
        expect(await fleet.status.get(CERT, 'n1')).toMatchObject({
          result: 'rolled-back',
          revisionOnDisk: 1,
          revisionServed: 1,
          errorCode: mode === 'fail' ? 'RELOAD_FAILED' : 'PROBE_FAILED',
        });
        expect(await fleet.rollouts.get(CERT, 2)).toMatchObject({ state: 'halted', haltedBy: 'n1' });

        const reloadsBefore = other.server.reloads;
        expect((await syncCertificate(other.deps, other.plan, { hint: 2 })).result).toBe('halted');
        expect(other.server.reloads).toBe(reloadsBefore);
        expect(other.server.served?.serial).toBe(serialOf(old));
        expect(await fleet.status.get(CERT, 'n2')).toMatchObject({ result: 'halted', revisionOnDisk: 1 });
      });
    }
  });

  it('other nodes wait for the canary, and at most maxParallel reload at once', async () => {
    await publishRevision(fleet, CERT, await aServerPki());
    const nodes = Array.from({ length: 5 }, (_, i) => aNode(fleet, `n${i + 1}`, 1001 + i));
    let inside = 0;
    let most = 0;
    const order: string[] = [];
    for (const node of nodes)
      node.server.onReload = async () => {
        inside++;
        most = Math.max(most, inside);
        order.push(node.deps.nodeId);
        await new Promise((resolve) => setTimeout(resolve, 10));
        inside--;
      };
    // n1 joins first and is the canary; the others start while it is still reloading.
    const [first, ...rest] = nodes;
    if (!first) throw new Error('no nodes');
    const canary = syncCertificate(first.deps, first.plan);
    await new Promise((resolve) => setTimeout(resolve, 1));
    const outcomes = await Promise.all([canary, ...rest.map((n) => syncCertificate(n.deps, n.plan))]);
    expect(outcomes.map((o) => o.result)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    expect(most).toBe(1);
    expect(order[0]).toBe('n1');
  });
});

describe('handleMessage', () => {
  function anIntake() {
    const log: string[] = [];
    const intake: EventIntake = {
      receive: async () => [],
      acknowledge: async (m) => {
        log.push(`ack ${m.id}`);
      },
      release: async (m, delay) => {
        log.push(`release ${m.id} ${delay}`);
      },
    };
    return { intake, log };
  }

  it('releases a poison message and reports it dead-lettered at the last receive', async () => {
    const fleet = aFleet();
    const node = aNode(fleet, 'n1', 1001);
    const { intake, log } = anIntake();
    const poisoned: boolean[] = [];
    const options = {
      plans: [node.plan],
      reconcileIntervalMs: 60_000,
      maxReceiveCount: 5,
      observer: { onPoison: (_m: IntakeMessage, dead: boolean) => poisoned.push(dead) },
    };
    const poison = (receiveCount: number): IntakeMessage => ({
      id: `m${receiveCount}`,
      receiveCount,
      event: null,
      problem: 'not JSON',
    });
    expect(await handleMessage({ ...node.deps, intake }, options, poison(1))).toBe('released');
    expect(await handleMessage({ ...node.deps, intake }, options, poison(5))).toBe('released');
    expect(log).toEqual(['release m1 15', 'release m5 0']);
    expect(poisoned).toEqual([false, true]);
  });

  it('acknowledges an applied event and one for a certificate this node does not hold', async () => {
    const fleet = aFleet();
    await publishRevision(fleet, CERT, await aServerPki());
    const node = aNode(fleet, 'n1', 1001);
    const { intake, log } = anIntake();
    const options = { plans: [node.plan], reconcileIntervalMs: 60_000, maxReceiveCount: 5 };
    const event = (certificateId: string): IntakeMessage => ({
      id: certificateId,
      receiveCount: 1,
      event: {
        type: 'certificate.revision_published',
        certificateId,
        revision: 1,
        groups: [],
        nodes: [],
        dmz: [],
      },
      problem: null,
    });
    await handleMessage({ ...node.deps, intake }, options, event(CERT));
    await handleMessage({ ...node.deps, intake }, options, event('someone-else'));
    expect(log).toEqual([`ack ${CERT}`, 'ack someone-else']);
  });

  it('releases with a delay when verification failed (bounded retries, then the DLQ)', async () => {
    const fleet = aFleet();
    await publishRevision(fleet, CERT, await aServerPki({ sans: ['other.acme-ha.test'] }));
    const node = aNode(fleet, 'n1', 1001);
    const { intake, log } = anIntake();
    const options = { plans: [node.plan], reconcileIntervalMs: 60_000, maxReceiveCount: 5 };
    await handleMessage({ ...node.deps, intake }, options, {
      id: 'm',
      receiveCount: 2,
      event: {
        type: 'certificate.revision_published',
        certificateId: CERT,
        revision: 1,
        groups: [],
        nodes: [],
        dmz: [],
      },
      problem: null,
    });
    expect(log).toEqual(['release m 30']);
  });
});

describe('a retired certificate', () => {
  it('is reported retired and left alone: no download, no write, no reload; the files stay', async () => {
    const fleet = aFleet();
    await publishRevision(fleet, CERT, await aServerPki());
    const node = aNode(fleet, 'n1', 1001);
    await syncCertificate(node.deps, node.plan);
    await publishRevision(fleet, CERT, await aServerPki());
    await fleet.state.recordRetirement(CERT, '2031-01-05T00:00:00.000Z');
    const downloads = vi.spyOn(fleet.keystores, 'get');

    const outcome = await syncCertificate(node.deps, node.plan);

    expect(outcome).toMatchObject({ result: 'retired', installedRevision: 1 });
    expect(outcome.message).toContain('retired since 2031-01-05T00:00:00.000Z');
    expect(downloads).not.toHaveBeenCalled();
    expect(node.files.writes).toEqual([node.path]);
    expect(node.server.reloads).toBe(1);
    expect(await node.files.read(node.path)).not.toBeNull();
    expect(await fleet.status.get(CERT, 'n1')).toMatchObject({
      result: 'retired',
      revisionOnDisk: 1,
      revisionServed: 1,
    });
    // The report is the heartbeat: not rewritten while it is fresh.
    const statusWrites = vi.spyOn(fleet.status, 'put');
    expect((await syncCertificate(node.deps, node.plan)).result).toBe('retired');
    expect(statusWrites).not.toHaveBeenCalled();
  });

  it('with purge, loses its files and backups and the installed record; the report says nothing on disk', async () => {
    const fleet = aFleet();
    const node = aNode(fleet, 'n1', 1001);
    await publishRevision(fleet, CERT, await aServerPki());
    await syncCertificate(node.deps, node.plan);
    await publishRevision(fleet, CERT, await aServerPki());
    await syncCertificate(node.deps, node.plan);
    expect(node.files.backups.has(node.path)).toBe(true);
    await fleet.state.recordRetirement(CERT, '2031-01-05T00:00:00.000Z');

    const outcome = await syncCertificate(node.deps, node.plan, { purge: true });

    expect(outcome).toMatchObject({ result: 'purged', installedRevision: null, notAfter: null });
    expect(outcome.message).toBe('1 file(s) removed with their backups');
    expect(node.files.files.size + node.files.backups.size).toBe(0);
    expect(await node.installed.get(CERT)).toBeNull();
    expect(await fleet.status.get(CERT, 'n1')).toMatchObject({
      result: 'retired',
      revisionOnDisk: null,
      revisionServed: null,
      servedSerial: null,
    });
    // Nothing left: a second purge removes nothing.
    expect((await syncCertificate(node.deps, node.plan, { purge: true })).message).toBe(
      '0 file(s) removed with their backups',
    );
  });

  it('is installed again once it is back in the configuration', async () => {
    const fleet = aFleet();
    await publishRevision(fleet, CERT, await aServerPki());
    const node = aNode(fleet, 'n1', 1001);
    await fleet.state.recordRetirement(CERT, '2031-01-05T00:00:00.000Z');
    expect((await syncCertificate(node.deps, node.plan, { purge: true })).result).toBe('purged');
    await fleet.state.recordRetirement(CERT, null);
    expect((await syncCertificate(node.deps, node.plan)).result).toBe('applied');
  });
});
