import type { InstalledRevision } from '../../ports/installed-revision-store.ts';
import type { NodeStatus } from '../../ports/node-status-store.ts';
import type { RolloutTerms } from '../../ports/rollout-store.ts';
import type { Revision } from '../../renewal/types.ts';
import type { AgentDeps } from './agent-deps.ts';
import type { SyncOutcome, SyncResult } from './outcome.ts';
import type { CertificatePlan } from './plan.ts';
import { type StatusFields, writeStatus } from './status-report.ts';

/** Writes this node's status record for the sync's certificate (best effort, never throws). */
export type Report = (fields: StatusFields) => Promise<void>;

/** What an outcome says besides its result; `installedRevision` overrides the one known so far. */
export interface OutcomeDetails {
  readonly errorCode?: string;
  readonly message?: string;
  readonly installedRevision?: number | null;
}

/** The outcome of the sync with `result`, timed from its start. */
export type MakeOutcome = (result: SyncResult, details?: OutcomeDetails) => SyncOutcome;

/**
 * What one sync has learned so far. {@link SyncContext.report} and {@link SyncContext.outcome} read it
 * when they are called, so a step that learns something sets it here first.
 */
export interface SyncProgress {
  installed: InstalledRevision | null;
  desired: Revision | null;
}

/** What every step of one sync shares. */
export interface SyncContext {
  readonly deps: AgentDeps;
  readonly plan: CertificatePlan;
  readonly signal: AbortSignal | undefined;
  /** This node's status record for the certificate as the sync found it. */
  readonly previous: NodeStatus | null;
  readonly report: Report;
  readonly outcome: MakeOutcome;
}

/** A sync with bytes to install: the revision it installs and the one installed before it. */
export interface RolloutContext extends SyncContext {
  readonly desired: Revision;
  readonly installed: InstalledRevision | null;
  /** The rollout terms published with `desired`, when the state read brought them (else asked for). */
  readonly terms?: RolloutTerms | null;
}

/** Starts the clock of one sync and reads the status record it will update. */
export async function startSync(
  deps: AgentDeps,
  plan: CertificatePlan,
  signal: AbortSignal | undefined,
): Promise<{ readonly ctx: SyncContext; readonly progress: SyncProgress }> {
  const started = performance.now();
  const certificateId = plan.certificateId;
  const progress: SyncProgress = { installed: null, desired: null };
  const outcome: MakeOutcome = (result, details = {}) => ({
    certificateId,
    result,
    revision: progress.desired?.revision ?? null,
    installedRevision:
      details.installedRevision !== undefined
        ? details.installedRevision
        : (progress.installed?.revision ?? null),
    notAfter: progress.desired?.notAfter ?? null,
    errorCode: details.errorCode ?? null,
    message: details.message ?? null,
    durationMs: performance.now() - started,
  });
  const previous = await deps.status.get(certificateId, deps.nodeId).catch(() => null);
  const report: Report = (fields) => writeStatus(deps, { certificateId, previous, ...progress }, fields);
  return { ctx: { deps, plan, signal, previous, report, outcome }, progress };
}
