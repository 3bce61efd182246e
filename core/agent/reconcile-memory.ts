/**
 * What a running agent remembers between reconciles, so that a reconcile reads one item for all its
 * certificates (the head, `CertificateStateStore.head`) instead of the state and the report of
 * each: the last outcome of every certificate, and whether a report failed to reach the store since
 * the last full reconcile. A certificate whose last outcome settled on the revision the head names,
 * with that revision installed and its files on disk as recorded, is up to date without a read.
 *
 * Every {@link FULL_RECONCILE_EVERY}th reconcile reads everything anyway, and so does the one after
 * a report write failed (its outcome is unknown): a report another writer changed, or a head the
 * renewer failed to advance while the node also missed the event, is set right within that many
 * intervals (2 hours at the default 15 minutes). `agent sync` always reads everything.
 */
import type { NodeStatusStore } from '../ports/node-status-store.ts';
import type { AgentDeps } from './sync/agent-deps.ts';
import { onDiskMatches } from './sync/download.ts';
import type { SyncOutcome, SyncResult } from './sync/outcome.ts';
import type { CertificatePlan } from './sync/plan.ts';

/** One reconcile in this many reads every certificate's state and report. */
export const FULL_RECONCILE_EVERY = 8;

/** Outcomes after which the node serves the revision and its report says so. */
const SETTLED: ReadonlySet<SyncResult> = new Set(['applied', 'unchanged', 'up-to-date']);

export class ReconcileMemory {
  private readonly outcomes = new Map<string, SyncOutcome>();
  private rounds = 0;
  private reportLost = false;

  /** `status`, with a failed report write noticed: the next reconcile is a full one. */
  watch(status: NodeStatusStore): NodeStatusStore {
    return {
      put: async (report) => {
        try {
          await status.put(report);
        } catch (error) {
          this.reportLost = true;
          throw error;
        }
      },
      get: (certificateId, nodeId) => status.get(certificateId, nodeId),
      list: (certificateId) => status.list(certificateId),
      beat: (nodeId, at) => status.beat(nodeId, at),
      heartbeats: (nodeIds) => status.heartbeats(nodeIds),
    };
  }

  remember(outcome: SyncOutcome): void {
    this.outcomes.set(outcome.certificateId, outcome);
  }

  /** Whether the reconcile about to start must read every state and report (counts it). */
  nextIsFull(): boolean {
    const full = this.rounds % FULL_RECONCILE_EVERY === 0 || this.reportLost;
    this.rounds++;
    if (full) this.reportLost = false;
    return full;
  }

  /**
   * The outcome of `plan` read from memory, the head and the disk alone, or null when it must be
   * synced: its last outcome settled on the revision the head names, the installed record says the
   * same, and every installed file has its recorded checksum.
   */
  async settled(
    deps: Pick<AgentDeps, 'installed' | 'files'>,
    plan: CertificatePlan,
    head: ReadonlyMap<string, number>,
  ): Promise<SyncOutcome | null> {
    const started = performance.now();
    const id = plan.certificateId;
    const last = this.outcomes.get(id);
    const revision = head.get(id);
    if (!last || revision === undefined || !SETTLED.has(last.result)) return null;
    if (last.revision !== revision || last.installedRevision !== revision) return null;
    const installed = await deps.installed.get(id);
    if (installed?.revision !== revision || !(await onDiskMatches(deps.files, installed))) return null;
    return { ...last, result: 'up-to-date', durationMs: performance.now() - started };
  }
}
