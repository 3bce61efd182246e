import type { InstalledRevision } from '../../ports/installed-revision-store.ts';
import type { NodeResult, NodeStatus } from '../../ports/node-status-store.ts';
import type { Revision } from '../../renewal/types.ts';
import type { AgentDeps } from './agent-deps.ts';

/** What a status record is about: the certificate, what the last record said, what is known now. */
export interface StatusSubject {
  readonly certificateId: string;
  /** The record found when the sync began; it carries `failingSince` and the served revision over. */
  readonly previous: NodeStatus | null;
  readonly installed: InstalledRevision | null;
  readonly desired: Revision | null;
}

/** The fields a step reports; the rest come from {@link StatusSubject}. */
export type StatusFields = Partial<NodeStatus> & { result: NodeResult };

/** Writes this node's status record for the certificate; a store that fails is logged, not thrown. */
export async function writeStatus(
  deps: AgentDeps,
  subject: StatusSubject,
  fields: StatusFields,
): Promise<void> {
  const { certificateId, previous, installed, desired } = subject;
  const now = deps.clock.now().toISOString();
  const failing =
    fields.result === 'rejected' || fields.result === 'rolled-back' || fields.result === 'failed';
  const status: NodeStatus = {
    certificateId,
    nodeId: deps.nodeId,
    revisionOnDisk: installed?.revision ?? null,
    revisionServed: previous?.revisionServed ?? null,
    servedSerial: previous?.servedSerial ?? null,
    targetRevision: desired?.revision ?? null,
    errorCode: null,
    error: null,
    updatedAt: now,
    failingSince: failing ? (previous?.failingSince ?? now) : null,
    reloadStartedAt: previous?.reloadStartedAt ?? null,
    reloadFinishedAt: previous?.reloadFinishedAt ?? null,
    ...fields,
  };
  try {
    await deps.status.put(status);
  } catch (error) {
    // Status is a report, not a precondition: the install itself stands.
    deps.log.warn('status not written', { certificateId, error: (error as Error).message });
  }
}

/** The status record already says `revision` is installed here, without an error. */
export function reportsInstalled(status: NodeStatus | null, revision: number): boolean {
  return (
    status !== null &&
    (status.result === 'applied' || status.result === 'unchanged') &&
    status.revisionOnDisk === revision &&
    status.targetRevision === revision &&
    status.errorCode === null
  );
}
