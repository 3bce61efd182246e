import { DynamoNodeStatusStore } from '../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoRolloutStore } from '../../adapters/aws/dynamo-rollout-store.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { readConfigFile } from '../../adapters/fs/config-file.ts';
import { createAwsClients } from '../../adapters/runtime/aws-clients.ts';
import { type FleetCertificate, fleetCertificate } from '../../core/agent/fleet-status.ts';
import { EXIT } from './exit-codes.ts';
import { CliExit, CliInputError, type CliIo } from './io.ts';
import type { StatusFlags } from './status-command.ts';

/** `acme-ha status`: one Query-sized read per certificate (state, rollout of the current revision, node reports). */
export async function status(flags: StatusFlags, io: CliIo): Promise<void> {
  const ids = [
    ...(flags.config ? (await readConfigFile(flags.config)).certificates.map((c) => c.id) : []),
    ...(flags.certificate ?? []),
  ];
  if (ids.length === 0) throw new CliInputError('name the certificates: --config FILE or --certificate ID');
  const table = io.env.ACME_HA_TABLE;
  if (!table)
    throw new CliExit(
      EXIT.INVALID_INPUT,
      'ACME_HA_TABLE is not set; `acme-ha local up` prints the environment',
    );
  const clients = createAwsClients();
  try {
    const state = new DynamoStateStore(clients.documents, table);
    const rollouts = new DynamoRolloutStore(clients.documents, table);
    const nodes = new DynamoNodeStatusStore(clients.documents, table);
    const certificates = await Promise.all(
      [...new Set(ids)].map(async (id) => {
        const current = (await state.get(id)).current;
        const [rollout, statuses] = await Promise.all([
          current ? rollouts.get(id, current.revision) : Promise.resolve(null),
          nodes.list(id),
        ]);
        return fleetCertificate(id, current, rollout, statuses);
      }),
    );
    if (flags.json) io.out(`${JSON.stringify({ certificates })}\n`);
    else io.out(certificates.map((c) => render(c, io.now())).join('\n'));
  } finally {
    clients.destroy();
  }
}

function render(c: FleetCertificate, now: Date): string {
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
