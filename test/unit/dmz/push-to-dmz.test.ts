import { describe, expect, it } from 'vitest';
import { InMemoryInstalledRevisions } from '../../../adapters/memory/in-memory-installed-revisions.ts';
import { InMemoryKeystoreStore } from '../../../adapters/memory/in-memory-keystore-store.ts';
import { InMemoryNodeStatusStore } from '../../../adapters/memory/in-memory-node-status-store.ts';
import { InMemoryStateStore } from '../../../adapters/memory/in-memory-state-store.ts';
import { sleep } from '../../../adapters/time/sleep.ts';
import { DmzUnreachableError } from '../../../core/dmz/dmz-errors.ts';
import { type DmzPeer, DmzPusher } from '../../../core/dmz/push-to-dmz.ts';
import type { RevisionPush } from '../../../core/dmz/revision-push.ts';
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
      return {
        certificateId: push.revision.certificateId,
        result: 'applied',
        revision: push.revision.revision,
        installedRevision: push.revision.revision,
        servedSerial: push.revision.serial,
        errorCode: null,
        message: null,
      };
    },
  };
  return { silent, quick };
}

const peer = (id: string, receiver: DmzReceiverClient): DmzPeer => ({
  id,
  certificates: [CERT],
  receiver,
  standbyMs: 0,
  retryMinMs: 1_000,
  retryMaxMs: 60_000,
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
        return {
          certificateId: push.revision.certificateId,
          result: 'applied',
          revision: installed,
          installedRevision: installed,
          servedSerial: push.revision.serial,
          errorCode: null,
          message: null,
        };
      },
    };
    const pusher = new DmzPusher({
      nodeId: 'gateway',
      peers: [peer('dmz-own', receiver)],
      state: stores.state,
      keystores: stores.keystores,
      installed: new InMemoryInstalledRevisions(),
      status: new InMemoryNodeStatusStore(),
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
});
