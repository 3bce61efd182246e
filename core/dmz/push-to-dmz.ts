/**
 * The internal side of the DMZ rule: an agent listed as a DMZ instance's pusher sends each new
 * revision of the certificates that target it, once it has installed that revision itself. Each
 * (DMZ instance, certificate) pair is one job: asked first what the receiver has (a cheap GET), pushed
 * only when behind, retried with capped, jittered backoff while the receiver is down, and checked
 * again on every reconcile — so a receiver that was down gets the revision when it is back.
 *
 * Several pushers per DMZ instance (HA) share no lock per instance: a push is idempotent at the
 * receiver, which serialises pushes per certificate and answers `up-to-date` without effect to the
 * second one. A standby pusher (`standbyMs`) waits and asks again first, so in the normal case only
 * one body is ever sent. Sending a body takes the certificate's DMZ slot, a lease in the shared lock
 * table: DMZ instances usually stand behind one public load balancer, so only one of them installs
 * (and restarts) a certificate at a time, whichever pusher feeds it. See docs/design/2026-11-28-dmz.md.
 */

import { AcmeHaError } from '../errors.ts';
import type { CertificateStateStore } from '../ports/certificate-state-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { DmzAnswer, DmzInstalled, DmzReceiverClient } from '../ports/dmz-receiver.ts';
import type { InstalledRevisionStore } from '../ports/installed-revision-store.ts';
import type { KeystoreStore } from '../ports/keystore-store.ts';
import type { Lock } from '../ports/lock.ts';
import type { Logger } from '../ports/logger.ts';
import {
  HEARTBEAT_REFRESH_MS,
  type NodeResult,
  type NodeStatus,
  type NodeStatusStore,
} from '../ports/node-status-store.ts';
import { withDmzSlot } from './dmz-slot.ts';
import { nextDmzStatus } from './dmz-status.ts';
import { type DmzPushResult, nodeResultOf, pushResultOf } from './push-answer.ts';
import { buildRevisionPush } from './revision-push.ts';

/** One DMZ instance this node pushes to. */
export interface DmzPeer {
  readonly id: string;
  readonly certificates: readonly string[];
  readonly receiver: DmzReceiverClient;
  /** A standby pusher waits this long and asks again before pushing (0: push at once). */
  readonly standbyMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** The most one push may take (the receiver client's timeout): how long the DMZ slot is held. */
  readonly pushTimeoutMs: number;
}

export interface DmzPushDeps {
  readonly nodeId: string;
  readonly peers: readonly DmzPeer[];
  readonly state: Pick<CertificateStateStore, 'get' | 'getRevision'>;
  readonly keystores: Pick<KeystoreStore, 'get'>;
  readonly installed: InstalledRevisionStore;
  readonly status: NodeStatusStore;
  /** The shared lock table: the DMZ slots of certificates. */
  readonly lock: Lock;
  /** Certificates this node installs itself: it pushes the revision it has, never one ahead of it. */
  readonly ownCertificates: ReadonlySet<string>;
  readonly reconcileIntervalMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
}

export interface DmzPushReport {
  readonly dmzId: string;
  readonly certificateId: string;
  readonly result: DmzPushResult;
  readonly revision: number | null;
  readonly remoteRevision: number | null;
  readonly answer: DmzAnswer | null;
  readonly error: string | null;
  readonly durationMs: number;
}

/** The node id under which a DMZ instance's status is recorded (`CERT#<id>` / `NODE#dmz:<dmz>`). */
export function dmzStatusNodeId(dmzId: string): string {
  return `${DMZ_NODE_PREFIX}${dmzId}`;
}

export const DMZ_NODE_PREFIX = 'dmz:';

interface Job {
  readonly peer: DmzPeer;
  readonly certificateId: string;
  attempts: number;
  dueAt: number;
  /** Bumped by `notify`; an attempt that started before a bump is followed by another one. */
  wanted: number;
  previous: NodeStatus | null | undefined;
}

const RETRIED: ReadonlySet<DmzPushResult> = new Set(['failed', 'unreachable', 'busy']);

/** One attempt of one job: what its report names, and when it began. */
interface Attempt {
  readonly job: Job;
  readonly signal: AbortSignal | undefined;
  readonly started: number;
}

/** The report of an attempt with `result`, timed from its start. */
function reportOf(
  attempt: Attempt,
  result: DmzPushResult,
  extra: Partial<Omit<DmzPushReport, 'dmzId' | 'certificateId' | 'result' | 'durationMs'>> = {},
): DmzPushReport {
  return {
    dmzId: attempt.job.peer.id,
    certificateId: attempt.job.certificateId,
    result,
    revision: null,
    remoteRevision: null,
    answer: null,
    error: null,
    ...extra,
    durationMs: performance.now() - attempt.started,
  };
}

export class DmzPusher {
  private readonly jobs: Job[];
  private waker: AbortController | null = null;
  /** When this pusher last wrote each instance's heartbeat (ms since the epoch). */
  private readonly beaten = new Map<string, number>();

  constructor(private readonly deps: DmzPushDeps) {
    this.jobs = deps.peers.flatMap((peer) =>
      [...new Set(peer.certificates)].map((certificateId) => ({
        peer,
        certificateId,
        attempts: 0,
        dueAt: 0,
        wanted: 0,
        previous: undefined,
      })),
    );
  }

  /** Whether any DMZ instance gets this certificate from this node. */
  pushes(certificateId: string): boolean {
    return this.jobs.some((j) => j.certificateId === certificateId);
  }

  /**
   * The agent installed (or confirmed) a revision, or one it does not install itself was published:
   * push it now, whatever backoff was running.
   */
  notify(outcome: { readonly certificateId: string; readonly result: string }): void {
    if (!['applied', 'unchanged', 'up-to-date', 'published'].includes(outcome.result)) return;
    const now = this.deps.clock.now().getTime();
    let woke = false;
    for (const job of this.jobs.filter((j) => j.certificateId === outcome.certificateId)) {
      // An up-to-date reconcile only nudges jobs that are idle, not those backing off.
      if (outcome.result === 'up-to-date' && job.attempts > 0) continue;
      job.wanted++;
      job.attempts = 0;
      job.dueAt = Math.min(job.dueAt, now);
      woke = true;
    }
    if (woke) this.waker?.abort();
  }

  /** Every job once, now (`agent sync`). */
  pushAll(signal?: AbortSignal): Promise<DmzPushReport[]> {
    return this.attemptAll(this.jobs, signal);
  }

  /** The daemon side: push what is due, sleep until the next due job or reconcile, until aborted. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.jobs.length === 0) return;
    let nextReconcile = this.deps.clock.now().getTime() + this.deps.reconcileIntervalMs;
    while (!signal.aborted) {
      const now = this.deps.clock.now().getTime();
      if (now >= nextReconcile) {
        for (const job of this.jobs) if (job.attempts === 0) job.dueAt = Math.min(job.dueAt, now);
        nextReconcile = now + this.deps.reconcileIntervalMs;
      }
      const due = this.jobs.filter((j) => j.dueAt <= now);
      await this.attemptAll(due, signal);
      if (due.length > 0) continue;
      const next = Math.min(nextReconcile, ...this.jobs.map((j) => j.dueAt));
      await this.waitUntil(next - now, signal);
    }
  }

  /**
   * The jobs of one DMZ instance one after another, the instances in parallel: a silent instance
   * (each attempt ends only at the client's timeout) delays its own jobs, never another instance's.
   */
  private async attemptAll(jobs: readonly Job[], signal?: AbortSignal): Promise<DmzPushReport[]> {
    const byPeer = new Map<DmzPeer, Job[]>();
    for (const job of jobs) byPeer.set(job.peer, [...(byPeer.get(job.peer) ?? []), job]);
    const reports = await Promise.all(
      [...byPeer.values()].map(async (peerJobs) => {
        const done: DmzPushReport[] = [];
        for (const job of peerJobs) {
          if (signal?.aborted) break;
          done.push(await this.attempt(job, signal));
        }
        return done;
      }),
    );
    return reports.flat();
  }

  private async waitUntil(ms: number, signal: AbortSignal): Promise<void> {
    const waker = new AbortController();
    this.waker = waker;
    try {
      await this.deps.sleep(Math.max(0, ms), AbortSignal.any([signal, waker.signal]));
    } finally {
      if (this.waker === waker) this.waker = null;
    }
  }

  private async attempt(job: Job, signal?: AbortSignal): Promise<DmzPushReport> {
    const wanted = job.wanted;
    const report = await this.pushOnce(job, signal);
    const now = this.deps.clock.now().getTime();
    if (RETRIED.has(report.result)) {
      job.attempts++;
      const { retryMinMs, retryMaxMs } = job.peer;
      const backoff = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(job.attempts - 1, 30));
      job.dueAt = now + backoff * (0.75 + this.deps.random() * 0.5);
      this.deps.log.warn('dmz push failed', {
        dmz: job.peer.id,
        certificateId: job.certificateId,
        result: report.result,
        attempts: job.attempts,
        retryInMs: Math.round(job.dueAt - now),
        error: report.error,
      });
    } else {
      job.attempts = 0;
      job.dueAt = Number.POSITIVE_INFINITY;
    }
    // A notify during the attempt may concern a newer revision than the one just handled.
    if (job.wanted !== wanted && !RETRIED.has(report.result)) job.dueAt = now;
    return report;
  }

  private async pushOnce(job: Job, signal?: AbortSignal): Promise<DmzPushReport> {
    const attempt: Attempt = { job, signal, started: performance.now() };
    const { certificateId } = job;
    let source: number | null = null;
    try {
      source = await this.sourceRevision(certificateId);
      if (source === null) return reportOf(attempt, 'nothing');
      const remote = await this.askReceiver(attempt, source);
      if (remote.revision !== null && remote.revision >= source) {
        await this.record(job, {
          result: 'unchanged',
          revisionOnDisk: remote.revision,
          revisionServed: remote.revision,
          servedSerial: remote.serial,
          targetRevision: source,
          errorCode: null,
          error: null,
        });
        return reportOf(attempt, 'current', { revision: source, remoteRevision: remote.revision });
      }
      return await this.sendInSlot(attempt, source);
    } catch (error) {
      const code = error instanceof AcmeHaError ? error.code : 'UNEXPECTED';
      const message = error instanceof Error ? error.message : String(error);
      const unreachable = code === 'DMZ_UNREACHABLE';
      // A shutdown is not a failure of the receiver: nothing to report.
      if (!signal?.aborted)
        await this.record(job, { result: 'failed', targetRevision: source, errorCode: code, error: message });
      return reportOf(attempt, unreachable ? 'unreachable' : 'failed', { revision: source, error: message });
    }
  }

  /** What the receiver has; a standby pusher gives the primary its chance and asks again. */
  private async askReceiver(attempt: Attempt, source: number): Promise<DmzInstalled> {
    const { job, signal } = attempt;
    const { peer, certificateId } = job;
    let remote = await peer.receiver.installed(certificateId, signal);
    if (remote.revision === null || remote.revision < source) {
      if (peer.standbyMs > 0) {
        // Standby: the primary pusher has had its chance; ask again before sending anything.
        await this.deps.sleep(peer.standbyMs, signal);
        remote = await peer.receiver.installed(certificateId, signal);
      }
    }
    return remote;
  }

  /**
   * Sends revision `source` holding the certificate's DMZ slot, once it is free; asks the receiver
   * again with the slot held, since another pusher may have brought it up to date meanwhile.
   */
  private async sendInSlot(attempt: Attempt, source: number): Promise<DmzPushReport> {
    const { job, signal } = attempt;
    const sent = await withDmzSlot(
      {
        lock: this.deps.lock,
        certificateId: job.certificateId,
        owner: `${this.deps.nodeId} for ${dmzStatusNodeId(job.peer.id)}`,
        pushTimeoutMs: job.peer.pushTimeoutMs,
        sleep: this.deps.sleep,
        random: this.deps.random,
        now: () => this.deps.clock.now(),
        signal,
      },
      async () => {
        const remote = await job.peer.receiver.installed(job.certificateId, signal);
        if (remote.revision !== null && remote.revision >= source)
          return reportOf(attempt, 'current', { revision: source, remoteRevision: remote.revision });
        return this.send(attempt, source);
      },
    );
    if ('done' in sent) return sent.done;
    return reportOf(attempt, 'busy', {
      revision: source,
      error: `another DMZ instance of ${job.certificateId} was installing for over ${Math.round(sent.busyMs / 1000)} s`,
    });
  }

  /** Sends revision `source` with its bytes, and records the receiver's answer as its status. */
  private async send(attempt: Attempt, source: number): Promise<DmzPushReport> {
    const { job, signal, started } = attempt;
    const { peer, certificateId } = job;
    const revision = await this.deps.state.getRevision(certificateId, source);
    if (!revision)
      return reportOf(attempt, 'failed', {
        revision: source,
        error: `revision ${source} is not in the state table`,
      });
    const bytes = new Map<string, Buffer>();
    for (const object of revision.objects) bytes.set(object.key, await this.deps.keystores.get(object.key));
    const answer = await peer.receiver.push(buildRevisionPush(revision, bytes), signal);
    const result = pushResultOf(answer);
    this.deps.log.info('dmz push answered', {
      dmz: peer.id,
      certificateId,
      revision: source,
      answer: answer.result,
      installedRevision: answer.installedRevision,
      errorCode: answer.errorCode,
      ms: Math.round(performance.now() - started),
    });
    await this.record(job, {
      result: nodeResultOf(answer),
      revisionOnDisk: answer.installedRevision,
      revisionServed: answer.installedRevision,
      servedSerial: answer.servedSerial,
      targetRevision: source,
      errorCode: answer.errorCode,
      error: answer.message,
    });
    return reportOf(attempt, result, {
      revision: source,
      remoteRevision: answer.installedRevision,
      answer,
      error: answer.errorCode ? `${answer.errorCode}: ${answer.message ?? ''}` : null,
    });
  }

  private async sourceRevision(certificateId: string): Promise<number | null> {
    if (this.deps.ownCertificates.has(certificateId))
      return (await this.deps.installed.get(certificateId))?.revision ?? null;
    return (await this.deps.state.get(certificateId)).current?.revision ?? null;
  }

  /**
   * Writes the DMZ instance's status item when it says something new, and its heartbeat when the
   * last one this pusher wrote is old (status is best effort).
   */
  private async record(job: Job, fields: Partial<NodeStatus> & { result: NodeResult }): Promise<void> {
    const nodeId = dmzStatusNodeId(job.peer.id);
    const now = this.deps.clock.now();
    try {
      if (job.previous === undefined)
        job.previous = await this.deps.status.get(job.certificateId, nodeId).catch(() => null);
      const next = nextDmzStatus(job.previous, { certificateId: job.certificateId, nodeId, ...fields }, now);
      if (next) {
        await this.deps.status.put(next);
        job.previous = next;
      }
      if (now.getTime() - (this.beaten.get(nodeId) ?? 0) >= HEARTBEAT_REFRESH_MS) {
        await this.deps.status.beat(nodeId, now);
        this.beaten.set(nodeId, now.getTime());
      }
    } catch (error) {
      this.deps.log.warn('status not written', {
        certificateId: job.certificateId,
        dmz: job.peer.id,
        error: (error as Error).message,
      });
    }
  }
}
