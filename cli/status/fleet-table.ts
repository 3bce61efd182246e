import type { FleetCertificate, FleetNode, UnseenNode } from '../../core/agent/fleet-status.ts';

/** Printed after the tables when a certificate's holders are unknown (no `--config`). */
export const WITHOUT_CONFIG_NOTE =
  'note: without --config only nodes that reported are listed: a node whose agent never ran is missing (pass --config FILE)';

/** The human form of `acme-ha status` for one certificate (also printed by the demo). */
export function renderFleetCertificate(c: FleetCertificate, now: Date): string {
  const revision =
    c.currentRevision === null
      ? 'nothing published yet'
      : `revision ${c.currentRevision} (serial ${c.serial}, notAfter ${c.notAfter})`;
  const retired = c.retiredAt ? `RETIRED since ${c.retiredAt} (no longer in the configuration), ` : '';
  const head = `${c.certificateId}: ${retired}${revision}`;
  const rollout = c.rollout
    ? `  rollout of revision ${c.rollout.revision}: ${c.rollout.state}, canary ${c.rollout.canary}${
        c.rollout.state === 'halted' ? `, halted by ${c.rollout.haltedBy}: ${c.rollout.reason}` : ''
      }`
    : '  rollout: not started';
  const rows = [...c.nodes, ...c.neverSeen]
    .sort((a, b) => a.nodeId.localeCompare(b.nodeId))
    .map((n) => (n.seen ? reportedRow(c, n, now) : unseenRow(n)));
  return `${[head, rollout, countsLine(c), ...rows].join('\n')}\n`;
}

function countsLine(c: FleetCertificate): string {
  const n = c.counts;
  if (c.retiredAt) {
    const holding =
      n.holdingRetired > 0
        ? `${n.holdingRetired} still hold its files (\`acme-ha agent sync --purge\` removes them)`
        : 'none holds its files any more';
    const expiring = n.expiring > 0 ? `, ${n.expiring} serving it EXPIRING — NOT HEALTHY` : '';
    return `  ${n.nodes} node(s) reported: ${holding}${expiring}`;
  }
  const neverSeen = n.neverSeen > 0 ? ` (${n.neverSeen} never seen)` : '';
  const expiring = n.expiring > 0 ? `, ${n.expiring} expiring` : '';
  const verdict = c.healthy ? '' : ' — NOT HEALTHY';
  return `  ${n.nodes + n.neverSeen} node(s): ${n.current} current, ${n.lagging} lagging, ${n.failed} failed, ${n.silent} silent${neverSeen}${expiring}${verdict}`;
}

function reportedRow(c: FleetCertificate, n: FleetNode, now: Date): string {
  const flags = [
    n.daysLeft === null ? '' : ` ${n.daysLeft.toFixed(1)} d left`,
    n.lagging ? ' LAGGING' : '',
    n.lagBeyondGrace ? ` by ${n.revisionLag} for over ${c.thresholds.lagGraceMinutes} min` : '',
    n.silent ? ` SILENT: last seen ${n.lastSeenAt} (${ago(now, n.lastSeenAt)} ago)` : '',
    n.silent && !n.problems.includes('silent') ? ', retired?' : '',
    n.expiring ? ` EXPIRING (under ${c.thresholds.expiryDays} d)` : '',
    c.audienceKnown && !n.declared ? ' (not in the configuration)' : '',
  ].join('');
  const since = n.failingSince ? ` since ${n.failingSince} (${ago(now, n.failingSince)})` : '';
  const error = n.error ? ` — ${n.errorCode}: ${n.error}` : '';
  return `  ${n.nodeId.padEnd(16)} disk ${column(n.revisionOnDisk)}  served ${column(n.revisionServed)}  ${n.result}${flags}${since}${error}`;
}

function unseenRow(n: UnseenNode): string {
  const state = n.silent ? 'SILENT: never seen' : 'never seen (waiting for the first rollout)';
  return `  ${n.nodeId.padEnd(16)} disk ${column(null)}  served ${column(null)}  ${state}`;
}

/** One line for stderr: which nodes make the fleet unhealthy, and why. */
export function fleetProblemsLine(certificates: readonly FleetCertificate[]): string {
  const problems = certificates.flatMap((c) =>
    [...c.nodes, ...c.neverSeen]
      .filter((n) => n.problems.length > 0)
      .map((n) => `${c.certificateId}/${n.nodeId} ${n.problems.join('+')}${n.seen ? '' : ' (never seen)'}`),
  );
  const shown = problems.slice(0, 6).join(', ');
  const more = problems.length > 6 ? ` and ${problems.length - 6} more` : '';
  return `the fleet is not healthy: ${shown}${more}`;
}

function column(revision: number | null): string {
  return String(revision ?? '-').padStart(4);
}

function ago(now: Date, since: string): string {
  const minutes = Math.max(0, Math.round((now.getTime() - Date.parse(since)) / 60_000));
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}
