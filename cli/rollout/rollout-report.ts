/**
 * What `acme-ha rollout status` (and pause, resume) prints about the rollout of a certificate's
 * current revision: the JSON object of `--json` and its human form. Pure: the runner reads, this
 * shapes.
 */
import type { SlotHolder } from '../../core/agent/rollout-slot.ts';
import type { Rollout, RolloutState, RolloutTerms } from '../../core/ports/rollout-store.ts';
import { awaitedNodes, pendingNodes } from '../../core/ports/rollout-transitions.ts';

/** `unpublished`: no revision yet; `not-started`: published, no node has joined its rollout. */
export type ReportedState = RolloutState | 'not-started' | 'unpublished';

/** The `--json` object (stable: fields are added, never renamed or removed). */
export interface RolloutReport {
  readonly certificateId: string;
  /** The current revision, whose rollout this is; null before the first. */
  readonly revision: number | null;
  readonly serial: string | null;
  readonly state: ReportedState;
  /** No node is granted a new slot while true. */
  readonly paused: boolean;
  readonly pausedBy: string | null;
  readonly pausedAt: string | null;
  /** The rollout's (or, before it started, the published terms'); null when neither says. */
  readonly maxParallel: number | null;
  /** Slots held now, by whom and until when (a lease in the lock table). */
  readonly slots: readonly SlotHolder[];
  readonly canary: string | null;
  readonly canaryDeadline: string | null;
  readonly nodes: {
    /** The awaited nodes are the configuration's (published with the revision), not only who joined. */
    readonly declared: boolean;
    readonly awaited: readonly string[];
    readonly joined: readonly string[];
    readonly done: readonly string[];
    readonly pending: readonly string[];
    readonly failed: readonly string[];
  };
  readonly haltedBy: string | null;
  readonly reason: string | null;
  readonly startedAt: string | null;
  readonly updatedAt: string | null;
  readonly completedAt: string | null;
}

export interface ReportInputs {
  readonly certificateId: string;
  readonly current: { readonly revision: number; readonly serial: string } | null;
  readonly terms: RolloutTerms | null;
  readonly rollout: Rollout | null;
  readonly slots: readonly SlotHolder[];
}

export function rolloutReport(inputs: ReportInputs): RolloutReport {
  const { certificateId, current, terms, rollout, slots } = inputs;
  const base = {
    certificateId,
    revision: current?.revision ?? null,
    serial: current?.serial ?? null,
    slots,
  };
  if (!rollout) {
    const awaited = terms?.nodes ?? [];
    return {
      ...base,
      state: current ? 'not-started' : 'unpublished',
      paused: false,
      pausedBy: null,
      pausedAt: null,
      maxParallel: terms?.maxParallel ?? null,
      canary: null,
      canaryDeadline: null,
      nodes: {
        declared: (terms?.nodes ?? null) !== null,
        awaited,
        joined: [],
        done: [],
        pending: awaited,
        failed: [],
      },
      haltedBy: null,
      reason: null,
      startedAt: null,
      updatedAt: null,
      completedAt: null,
    };
  }
  return {
    ...base,
    state: rollout.state,
    paused: rollout.pausedAt !== null,
    pausedBy: rollout.pausedBy,
    pausedAt: rollout.pausedAt,
    maxParallel: rollout.maxParallel,
    canary: rollout.canary,
    canaryDeadline: rollout.canaryDeadline,
    nodes: {
      declared: rollout.nodes !== null,
      awaited: awaitedNodes(rollout),
      joined: rollout.joined,
      done: rollout.done,
      pending: pendingNodes(rollout),
      failed: rollout.failed,
    },
    haltedBy: rollout.haltedBy,
    reason: rollout.reason,
    startedAt: rollout.startedAt,
    updatedAt: rollout.updatedAt,
    completedAt: rollout.completedAt,
  };
}

/** The human form: a head line, then one line per aspect, indented. */
export function renderRolloutReport(report: RolloutReport, now: Date): string {
  const id = report.certificateId;
  if (report.state === 'unpublished') return `${id}: nothing published yet\n`;
  const list = (nodes: readonly string[]) => (nodes.length > 0 ? nodes.join(', ') : '-');
  const lines = [
    `${id}: rollout of revision ${report.revision} (serial ${report.serial}): ${headState(report)}`,
  ];
  if (report.state === 'not-started') {
    lines.push(
      `  no node has joined it yet; maxParallel ${report.maxParallel ?? '1 (agent default)'}`,
      `  awaited  ${report.nodes.declared ? list(report.nodes.awaited) : 'every node that joins'}`,
    );
    return `${lines.join('\n')}\n`;
  }
  const held = report.slots.map((s) => `${s.owner} until ${s.until}`);
  lines.push(
    `  maxParallel ${report.maxParallel}, slots held ${report.slots.length}${held.length ? `: ${held.join(', ')}` : ''}`,
    `  canary   ${canaryLine(report, now)}`,
    `  nodes    ${report.nodes.done.filter((n) => report.nodes.awaited.includes(n)).length}/${report.nodes.awaited.length} done (${report.nodes.declared ? 'declared nodes' : 'every node that joined'})`,
    `  done     ${list(report.nodes.done)}`,
    `  pending  ${list(report.nodes.pending)}`,
    `  failed   ${list(report.nodes.failed)}`,
  );
  if (report.state === 'halted') {
    lines.push(`  halted by ${report.haltedBy}: ${report.reason}`);
    lines.push(`  after the fix: acme-ha rollout resume ${id} (no new order)`);
  }
  lines.push(
    `  started ${report.startedAt}, updated ${report.updatedAt}${report.completedAt ? `, completed ${report.completedAt}` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

function headState(report: RolloutReport): string {
  if (report.state === 'not-started') return 'not started';
  const paused = report.paused ? `, PAUSED by ${report.pausedBy} at ${report.pausedAt}` : '';
  return `${report.state === 'halted' ? 'HALTED' : report.state}${paused}`;
}

function canaryLine(report: RolloutReport, now: Date): string {
  if (report.state === 'canary' && report.canaryDeadline && Date.parse(report.canaryDeadline) < now.getTime())
    return `${report.canary} (deadline passed: the next node to join takes the role)`;
  if (report.state === 'canary') return `${report.canary} (installing first; the others wait)`;
  return `${report.canary}`;
}
