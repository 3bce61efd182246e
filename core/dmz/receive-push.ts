/**
 * The DMZ receiver's use case: a push is one more intake for the agent's own sync. The pushed
 * revision and bytes stand in for DynamoDB and S3, the receiver is a fleet of one, and everything
 * else — monotonic revisions from the node-local installed record, verification, atomic write with
 * backup, reload, probe, rollback — is `syncCertificate`, unchanged.
 */

import type { AgentDeps } from '../agent/sync/agent-deps.ts';
import type { SyncOutcome, SyncResult } from '../agent/sync/outcome.ts';
import type { CertificatePlan } from '../agent/sync/plan.ts';
import { syncCertificate } from '../agent/sync/sync-certificate.ts';
import type { Clock } from '../ports/clock.ts';
import type { DmzAnswer, DmzInstalled } from '../ports/dmz-receiver.ts';
import type { FileSink } from '../ports/file-sink.ts';
import type { InstalledRevisionStore } from '../ports/installed-revision-store.ts';
import type { Lock } from '../ports/lock.ts';
import type { Logger } from '../ports/logger.ts';
import type { NodeStatusStore } from '../ports/node-status-store.ts';
import type { Prober } from '../ports/prober.ts';
import { PushRefusedError } from './dmz-errors.ts';
import { pushedRevisionSource } from './pushed-revision-source.ts';
import { payloadSha256, pushedBytes, type RevisionPush, revisionPushSchema } from './revision-push.ts';
import { SoloRolloutStore } from './solo-rollout.ts';

export interface ReceiverDeps {
  /** The receiver's name in logs and in its own status records. */
  readonly receiverId: string;
  readonly plans: readonly CertificatePlan[];
  readonly files: FileSink;
  readonly installed: InstalledRevisionStore;
  readonly status: NodeStatusStore;
  readonly prober: Prober;
  readonly clock: Clock;
  /** The receiver's own slot lease (a fleet of one): an in-memory lock does. */
  readonly lock: Lock;
  readonly log: Logger;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly probeTimeoutMs: number;
  /** @default 100 */
  readonly pollMs?: number;
}

/** An answer and the HTTP status that carries it. */
export interface ReceiveResult {
  readonly httpStatus: number;
  readonly answer: DmzAnswer;
}

const HTTP_STATUS: Record<SyncResult, number> = {
  applied: 200,
  unchanged: 200,
  'up-to-date': 200,
  obsolete: 409,
  'no-revision': 400,
  rejected: 422,
  'rolled-back': 502,
  halted: 502,
  failed: 500,
  interrupted: 503,
  // A receiver's revisions are pushed to it, never retired: these never reach a pusher.
  retired: 409,
  purged: 409,
};

/** Codes whose messages describe the certificate or the probe, useful to the pushing side. */
const SHAREABLE = new Set([
  'OBJECT_MISSING',
  'CHECKSUM_MISMATCH',
  'KEYSTORE_UNREADABLE',
  'KEYSTORE_PASSWORD',
  'KEY_MISMATCH',
  'CHAIN_OUT_OF_ORDER',
  'SERIAL_MISMATCH',
  'NAMES_NOT_COVERED',
  'CERTIFICATE_NOT_VALID_NOW',
  'PROBE_FAILED',
]);

export class PushReceiver {
  /** One sync at a time per certificate: a second pusher then finds the revision installed. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly rollouts: SoloRolloutStore;

  constructor(private readonly deps: ReceiverDeps) {
    this.rollouts = new SoloRolloutStore(deps.receiverId);
  }

  /** What is installed of a certificate, or null when this receiver does not serve it. */
  async installed(certificateId: string): Promise<DmzInstalled | null> {
    if (!this.planFor(certificateId)) return null;
    const record = await this.deps.installed.get(certificateId);
    return { certificateId, revision: record?.revision ?? null, serial: record?.serial ?? null };
  }

  /**
   * Handles one push body (already JSON-parsed, not yet validated). Never throws for a bad push:
   * every refusal is an answer with a status code, and nothing is written unless the sync says so.
   */
  async receive(certificateId: string, body: unknown): Promise<ReceiveResult> {
    try {
      const plan = this.planFor(certificateId);
      if (!plan)
        throw new PushRefusedError('NOT_SERVED_HERE', `certificate ${certificateId} is not served here`, 404);
      const push = this.validate(certificateId, body);
      const outcome = await this.serialised(certificateId, () => this.sync(plan, push));
      return await this.answer(outcome);
    } catch (error) {
      if (error instanceof PushRefusedError) {
        this.deps.log.warn('push refused', { certificateId, errorCode: error.code, error: error.message });
        return {
          httpStatus: error.httpStatus,
          answer: {
            certificateId,
            result: 'refused',
            revision: null,
            installedRevision: null,
            servedSerial: null,
            errorCode: error.code,
            message: error.message,
          },
        };
      }
      throw error;
    }
  }

  private planFor(certificateId: string): CertificatePlan | undefined {
    return this.deps.plans.find((p) => p.certificateId === certificateId);
  }

  private validate(certificateId: string, body: unknown): RevisionPush {
    const parsed = revisionPushSchema.safeParse(body);
    if (!parsed.success) {
      const where = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(body)'))].slice(0, 5);
      throw new PushRefusedError('PAYLOAD_INVALID', `not a revision push: check ${where.join(', ')}`, 400);
    }
    const push = parsed.data;
    if (push.revision.certificateId !== certificateId)
      throw new PushRefusedError(
        'CERTIFICATE_MISMATCH',
        `the revision is for ${push.revision.certificateId}, the URL names ${certificateId}`,
        400,
      );
    if (payloadSha256(push.revision, push.objects) !== push.sha256)
      throw new PushRefusedError(
        'PAYLOAD_HASH_MISMATCH',
        'the payload does not hash to its sha256: damaged or altered on the way',
        422,
      );
    // A push carries every object of its record; without this check the sync would look for the
    // bytes as for a missing S3 object, a retryable failure (500), not a refusal.
    const carried = new Set(push.objects.map((o) => o.key));
    const missing = push.revision.objects.find((o) => !carried.has(o.key));
    if (missing)
      throw new PushRefusedError('PAYLOAD_INVALID', `the push carries no bytes for ${missing.name}`, 400);
    return push;
  }

  private serialised<T>(certificateId: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(certificateId) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.catch(() => undefined);
    this.queues.set(certificateId, settled);
    void settled.then(() => {
      if (this.queues.get(certificateId) === settled) this.queues.delete(certificateId);
    });
    return run;
  }

  private async sync(plan: CertificatePlan, push: RevisionPush): Promise<SyncOutcome> {
    const source = pushedRevisionSource(push.revision, pushedBytes(push));
    const d = this.deps;
    const deps: AgentDeps = {
      nodeId: d.receiverId,
      state: source.state,
      keystores: source.keystores,
      files: d.files,
      installed: d.installed,
      status: d.status,
      rollouts: this.rollouts,
      lock: d.lock,
      prober: d.prober,
      clock: d.clock,
      log: d.log,
      sleep: d.sleep,
      random: Math.random,
      rollout: {
        maxParallel: 1,
        slotTtlMs: 10 * 60_000,
        canaryTimeoutMs: 60_000,
        probeTimeoutMs: d.probeTimeoutMs,
        pollMs: d.pollMs ?? 100,
      },
    };
    d.log.info('push received', { certificateId: plan.certificateId, revision: push.revision.revision });
    return syncCertificate(deps, plan);
  }

  private async answer(outcome: SyncOutcome): Promise<ReceiveResult> {
    const installed = await this.deps.installed.get(outcome.certificateId);
    const code = outcome.errorCode;
    return {
      httpStatus: HTTP_STATUS[outcome.result],
      answer: {
        certificateId: outcome.certificateId,
        result: outcome.result,
        revision: outcome.revision,
        installedRevision: installed?.revision ?? outcome.installedRevision,
        servedSerial: installed?.serial ?? null,
        errorCode: code,
        message: operatorMessage(outcome),
      },
    };
  }
}

/** What the pushing side may read: certificate and probe findings; everything else stays in the log. */
function operatorMessage(outcome: SyncOutcome): string | null {
  if (outcome.result === 'obsolete')
    return `revision ${outcome.revision} is older than the installed revision ${outcome.installedRevision}`;
  if (!outcome.errorCode) return null;
  if (!SHAREABLE.has(outcome.errorCode)) return `${outcome.result}; the receiver's log has the details`;
  return (outcome.message ?? '').replace(/(?:\/[^\s/:]+){2,}/g, '<path>').slice(0, 500);
}
