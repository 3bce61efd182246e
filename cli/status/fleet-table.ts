import type { FleetCertificate } from '../../core/agent/fleet-status.ts';

/** The human form of `acme-ha status` for one certificate (also printed by the demo). */
export function renderFleetCertificate(c: FleetCertificate, now: Date): string {
  const head =
    c.currentRevision === null
      ? `${c.certificateId}: nothing published yet`
      : `${c.certificateId}: revision ${c.currentRevision} (serial ${c.serial}, notAfter ${c.notAfter})`;
  const rollout = c.rollout
    ? `  rollout of revision ${c.rollout.revision}: ${c.rollout.state}, canary ${c.rollout.canary}${
        c.rollout.state === 'halted' ? `, halted by ${c.rollout.haltedBy}: ${c.rollout.reason}` : ''
      }`
    : '  rollout: not started';
  const counts = `  ${c.counts.nodes} node(s): ${c.counts.current} current, ${c.counts.lagging} lagging, ${c.counts.failed} failed`;
  const rows = c.nodes.map((n) => {
    const since = n.failingSince ? ` since ${n.failingSince} (${ago(now, n.failingSince)})` : '';
    const error = n.error ? ` — ${n.errorCode}: ${n.error}` : '';
    return `  ${n.nodeId.padEnd(16)} disk ${String(n.revisionOnDisk ?? '-').padStart(4)}  served ${String(n.revisionServed ?? '-').padStart(4)}  ${n.result}${n.lagging ? ' LAGGING' : ''}${since}${error}`;
  });
  return `${[head, rollout, counts, ...rows].join('\n')}\n`;
}

function ago(now: Date, since: string): string {
  const minutes = Math.max(0, Math.round((now.getTime() - Date.parse(since)) / 60_000));
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}
