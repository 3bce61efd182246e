import { describe, expect, it } from 'vitest';
import { InMemoryInstalledRevisions } from '../../../adapters/memory/in-memory-installed-revisions.ts';
import { InMemoryKeystoreStore } from '../../../adapters/memory/in-memory-keystore-store.ts';
import { InMemoryLock } from '../../../adapters/memory/in-memory-lock.ts';
import { InMemoryNodeStatusStore } from '../../../adapters/memory/in-memory-node-status-store.ts';
import { InMemoryStateStore } from '../../../adapters/memory/in-memory-state-store.ts';
import { sleep } from '../../../adapters/time/sleep.ts';
import { DmzUnreachableError } from '../../../core/dmz/dmz-errors.ts';
import { type DmzPeer, DmzPusher } from '../../../core/dmz/push-to-dmz.ts';
import type { RevisionPush } from '../../../core/dmz/revision-push.ts';
import { systemClock } from '../../../core/ports/clock.ts';
import type { DmzAnswer, DmzInstalled, DmzReceiverClient } from '../../../core/ports/dmz-receiver.ts';
import { silentLogger } from '../../../core/ports/logger.ts';
import { aServerPki } from '../../support/agent-keystores.ts';
import { publishRevision } from '../../support/agent-revisions.ts';

const CERT = 'edge';
const SILENT_MS = 300;

/** Receivers that write down, in order, when each call ended. */
function receivers(events: string[]) {
  /** Accepts and never answers: every call ends only at the client's timeout, as unreachable. */
  const silent: DmzReceiverClient = {
    installed: async () => {
      await new Promise((resolve) => setTimeout(resolve, SILENT_MS));
      events.push('silent timed out');
      throw new DmzUnreachableError('dmz-silent', 'timed out');
    },
    push: async () => {
      throw new Error('a silent receiver is never pushed to');
    },
  };
  const quick: DmzReceiverClient = {
    installed: async (certificateId): Promise<DmzInstalled> => ({
      certificateId,
      revision: null,
      serial: null,
    }),
    push: async (push: RevisionPush): Promise<DmzAnswer> => {
      events.push('quick applied');
      return appliedAnswer(push);
    },
  };
  return { silent, quick };
}

/** A receiver's answer that it installed and serves the pushed revision. */
const appliedAnswer = (push: RevisionPush): DmzAnswer => ({
  certificateId: push.revision.certificateId,
  result: 'applied',
  revision: push.revision.revision,
  installedRevision: push.revision.revision,
  servedSerial: push.revision.serial,
  errorCode: null,
  message: null,
});

const peer = (id: string, receiver: DmzReceiverClient): DmzPeer => ({
  id,
  certificates: [CERT],
  receiver,
  standbyMs: 0,
  retryMinMs: 1_000,
  retryMaxMs: 60_000,
  pushTimeoutMs: 5_000,
});

describe('DmzPusher', () => {
  it('pushes to the DMZ instances in parallel: a silent one does not hold up the others', async () => {
    const stores = { state: new InMemoryStateStore(), keystores: new InMemoryKeystoreStore() };
    await publishRevision(stores, CERT, await aServerPki());
    const events: string[] = [];
    const { silent, quick } = receivers(events);
    const pusher = new DmzPusher({
      nodeId: 'gateway',
      // The silent instance first: one after another, the quick one would wait for its timeout.
      peers: [peer('dmz-silent', silent), peer('dmz-quick', quick)],
      state: stores.state,
      keystores: stores.keystores,
      installed: new InMemoryInstalledRevisions(),
      status: new InMemoryNodeStatusStore(),
      lock: new InMemoryLock(systemClock),
      ownCertificates: new Set(),
      reconcileIntervalMs: 60_000,
      clock: { now: () => new Date() },
      log: silentLogger,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: () => 0.5,
    });
    const reports = await pusher.pushAll();
    expect(reports.map((r) => [r.dmzId, r.result])).toEqual([
      ['dmz-silent', 'unreachable'],
      ['dmz-quick', 'pushed'],
    ]);
    expect(events).toEqual(['quick applied', 'silent timed out']);
  });

  it("pushes a certificate it does not install itself (a DMZ instance's own) as soon as a revision is published", async () => {
    const stores = { state: new InMemoryStateStore(), keystores: new InMemoryKeystoreStore() };
    const pki = await aServerPki();
    await publishRevision(stores, CERT, pki);
    const pushed: number[] = [];
    let installed: number | null = null;
    const receiver: DmzReceiverClient = {
      installed: async (certificateId) => ({ certificateId, revision: installed, serial: null }),
      push: async (push) => {
        installed = push.revision.revision;
        pushed.push(installed);
        return appliedAnswer(push);
      },
    };
    const pusher = new DmzPusher({
      nodeId: 'gateway',
      peers: [peer('dmz-own', receiver)],
      state: stores.state,
      keystores: stores.keystores,
      installed: new InMemoryInstalledRevisions(),
      status: new InMemoryNodeStatusStore(),
      lock: new InMemoryLock(systemClock),
      ownCertificates: new Set(),
      // Without the nudge, revision 2 would wait for this.
      reconcileIntervalMs: 3_600_000,
      clock: { now: () => new Date() },
      log: silentLogger,
      sleep,
      random: () => 0.5,
    });
    const stop = new AbortController();
    const running = pusher.run(stop.signal);
    const until = async (want: number) => {
      for (let i = 0; i < 100 && pushed.length < want; i++) await new Promise((r) => setTimeout(r, 20));
    };
    try {
      await until(1);
      expect(pushed).toEqual([1]);
      await publishRevision(stores, CERT, pki);
      // What the agent does on the revision event of a certificate it has no target for.
      pusher.notify({ certificateId: CERT, result: 'published' });
      await until(2);
      expect(pushed).toEqual([1, 2]);
    } finally {
      stop.abort();
      await running;
    }
  });

  it('reports an instance once while nothing changes, and writes its heartbeat every 10 minutes', async () => {
    const stores = { state: new InMemoryStateStore(), keystores: new InMemoryKeystoreStore() };
    await publishRevision(stores, CERT, await aServerPki());
    let installed: number | null = null;
    const receiver: DmzReceiverClient = {
      installed: async (certificateId) => ({ certificateId, revision: installed, serial: null }),
      push: async (push) => {
        installed = push.revision.revision;
        return appliedAnswer(push);
      },
    };
    const status = new InMemoryNodeStatusStore();
    let now = Date.parse('2031-06-01T08:00:00.000Z');
    const pusher = new DmzPusher({
      nodeId: 'gateway',
      peers: [peer('dmz-1', receiver)],
      state: stores.state,
      keystores: stores.keystores,
      installed: new InMemoryInstalledRevisions(),
      status,
      lock: new InMemoryLock(systemClock),
      ownCertificates: new Set(),
      reconcileIntervalMs: 900_000,
      clock: { now: () => new Date(now) },
      log: silentLogger,
      sleep,
      random: () => 0.5,
    });
    await pusher.pushAll();
    const first = await status.get(CERT, 'dmz:dmz-1');
    expect(first).toMatchObject({
      result: 'applied',
      revisionOnDisk: 1,
      updatedAt: '2031-06-01T08:00:00.000Z',
    });
    const beat = async () => (await status.heartbeats(['dmz:dmz-1'])).get('dmz:dmz-1');
    expect(await beat()).toBe('2031-06-01T08:00:00.000Z');

    now += 5 * 60_000;
    await pusher.pushAll();
    expect(await beat()).toBe('2031-06-01T08:00:00.000Z');
    now += 5 * 60_000;
    await pusher.pushAll();
    expect(await beat()).toBe('2031-06-01T08:10:00.000Z');
    // The report said nothing new each time: never rewritten.
    expect(await status.get(CERT, 'dmz:dmz-1')).toEqual(first);
  });

  describe('one DMZ instance of a certificate installs at a time, whichever pusher feeds it', () => {
    /** Receivers whose push takes `ms` and that count how many are installing at once. */
    function slowReceivers(ids: readonly string[], ms: number) {
      let installing = 0;
      const seen = { most: 0, pushed: [] as string[] };
      const installed = new Map<string, number>();
      const receiverOf = (id: string): DmzReceiverClient => ({
        installed: async (certificateId) => ({
          certificateId,
          revision: installed.get(id) ?? null,
          serial: null,
        }),
        push: async (push) => {
          installing++;
          seen.most = Math.max(seen.most, installing);
          await new Promise((resolve) => setTimeout(resolve, ms));
          installing--;
          installed.set(id, push.revision.revision);
          seen.pushed.push(id);
          return appliedAnswer(push);
        },
      });
      return { seen, peers: ids.map((id) => peer(id, receiverOf(id))) };
    }

    const pusherOf = (
      nodeId: string,
      peers: DmzPeer[],
      stores: { state: InMemoryStateStore; keystores: InMemoryKeystoreStore },
      lock: InMemoryLock,
      time: { clock: { now: () => Date }; sleep: (ms: number) => Promise<void> } = {
        clock: systemClock,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
    ) =>
      new DmzPusher({
        nodeId,
        peers,
        ...stores,
        installed: new InMemoryInstalledRevisions(),
        status: new InMemoryNodeStatusStore(),
        lock,
        ownCertificates: new Set(),
        reconcileIntervalMs: 60_000,
        log: silentLogger,
        random: () => 0.5,
        ...time,
      });

    it('one pusher, three instances: pushed one after another', async () => {
      const stores = { state: new InMemoryStateStore(), keystores: new InMemoryKeystoreStore() };
      await publishRevision(stores, CERT, await aServerPki());
      const { seen, peers } = slowReceivers(['dmz-1', 'dmz-2', 'dmz-3'], 100);
      const reports = await pusherOf('gateway', peers, stores, new InMemoryLock(systemClock)).pushAll();
      expect(reports.map((r) => r.result)).toEqual(['pushed', 'pushed', 'pushed']);
      expect(seen.most).toBe(1);
      expect([...seen.pushed].sort()).toEqual(['dmz-1', 'dmz-2', 'dmz-3']);
    });

    it('two pushers, each its own instance, sharing the lock table: never both at once', async () => {
      const stores = { state: new InMemoryStateStore(), keystores: new InMemoryKeystoreStore() };
      await publishRevision(stores, CERT, await aServerPki());
      const { seen, peers } = slowReceivers(['dmz-1', 'dmz-2'], 100);
      const lock = new InMemoryLock(systemClock);
      const [first, second] = peers;
      if (!first || !second) throw new Error('two peers');
      const reports = await Promise.all([
        pusherOf('node-1', [first], stores, lock).pushAll(),
        pusherOf('node-2', [second], stores, lock).pushAll(),
      ]);
      expect(reports.flat().map((r) => r.result)).toEqual(['pushed', 'pushed']);
      expect(seen.most).toBe(1);
    });

    it('a slot held past a push timeout: busy, nothing sent, tried again later', async () => {
      const stores = { state: new InMemoryStateStore(), keystores: new InMemoryKeystoreStore() };
      await publishRevision(stores, CERT, await aServerPki());
      const { seen, peers } = slowReceivers(['dmz-1'], 0);
      // Time that passes only when the pusher sleeps.
      let now = Date.parse('2026-12-05T00:00:00Z');
      const clock = { now: () => new Date(now) };
      const lock = new InMemoryLock(clock);
      expect(await lock.acquire(`rollout/${CERT}/dmz/slot-0`, 'a stuck pusher', 600_000)).not.toBeNull();
      const pusher = pusherOf('gateway', peers, stores, lock, {
        clock,
        sleep: async (ms) => {
          now += ms;
        },
      });
      const [report] = await pusher.pushAll();
      expect(report?.result).toBe('busy');
      expect(report?.error).toBe(`another DMZ instance of ${CERT} was installing for over 15 s`);
      expect(seen.pushed).toEqual([]);
    });
  });
});
