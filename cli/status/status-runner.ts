import { createAgentAwsClients } from '../../adapters/aws/agent-aws-clients.ts';
import { DynamoNodeStatusStore } from '../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoRolloutStore } from '../../adapters/aws/dynamo-rollout-store.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { readConfigFile } from '../../adapters/fs/config-file.ts';
import { fleetCertificate } from '../../core/agent/fleet-status.ts';
import { configSchema } from '../../core/config/certificate-config.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, CliInputError, type CliIo } from '../io.ts';
import { renderFleetCertificate } from './fleet-table.ts';

export interface StatusFlags {
  config?: string;
  certificate?: string[];
  json?: boolean;
}

/** `acme-ha status`: one Query-sized read per certificate (state, rollout of the current revision, node reports). */
export async function status(flags: StatusFlags, io: CliIo): Promise<void> {
  const ids = [
    ...(flags.config
      ? (await readConfigFile(flags.config, 'configuration', configSchema)).certificates.map((c) => c.id)
      : []),
    ...(flags.certificate ?? []),
  ];
  if (ids.length === 0) throw new CliInputError('name the certificates: --config FILE or --certificate ID');
  const table = io.env.ACME_HA_TABLE;
  if (!table)
    throw new CliExit(
      EXIT.INVALID_INPUT,
      'ACME_HA_TABLE is not set; `acme-ha local up` prints the environment',
    );
  // The agent's clients (DynamoDB is all this reads): the bundle carries no SNS or Route 53 client.
  const clients = createAgentAwsClients();
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
    else io.out(certificates.map((c) => renderFleetCertificate(c, io.now())).join('\n'));
  } finally {
    clients.destroy();
  }
}
