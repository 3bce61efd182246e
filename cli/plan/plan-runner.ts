import { createAgentAwsClients } from '../../adapters/aws/agent-aws-clients.ts';
import { DynamoNodeStatusStore } from '../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { planRenewals, type RenewalPlan } from '../../core/renewal/plan-renewals.ts';
import { catalogChange, currentCatalog } from '../../core/renewal/retire-certificates.ts';
import { readFleetConfig } from '../control-plane-cli.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, CliInputError, type CliIo } from '../io.ts';

export interface PlanFlags {
  config: string;
  certificate?: string[];
  json?: boolean;
}

/** `acme-ha plan`: the renewer's decision for each certificate, read-only. */
export async function plan(flags: PlanFlags, io: CliIo): Promise<void> {
  const config = await readFleetConfig(flags.config, io);
  const unknown = (flags.certificate ?? []).filter((id) => !config.certificates.some((c) => c.id === id));
  if (unknown.length > 0)
    throw new CliExit(EXIT.INVALID_INPUT, `no certificate ${unknown.join(', ')} in ${flags.config}`);
  const table = io.env.ACME_HA_TABLE;
  if (!table) throw new CliInputError('ACME_HA_TABLE is not set; `acme-ha local up` prints the environment');
  // DynamoDB is all this reads: the agent's clients.
  const clients = createAgentAwsClients();
  try {
    const state = new DynamoStateStore(clients.documents, table);
    const plans = await planRenewals(
      config,
      { state, nodes: new DynamoNodeStatusStore(clients.documents, table) },
      io.now(),
      flags.certificate,
    );
    // What a whole run would change in the catalog (a run of named certificates changes nothing).
    const { retired, restored } = flags.certificate
      ? { retired: [], restored: [] }
      : catalogChange(
          await currentCatalog(state),
          config.certificates.map((c) => c.id),
          io.now(),
        );
    if (flags.json)
      io.out(`${JSON.stringify({ certificates: plans, retire: retired, restore: restored })}\n`);
    else {
      io.out(plans.map(render).join('\n'));
      for (const id of retired)
        io.out(`${id}: RETIRE: no longer in ${flags.config}; nodes stop installing it and keep its files\n`);
      for (const id of restored) io.out(`${id}: back in service: retired before, in ${flags.config} again\n`);
    }
  } finally {
    clients.destroy();
  }
}

function render(p: RenewalPlan): string {
  const verdict = p.due
    ? `DUE (${p.reason}): the next run orders revision ${p.nextRevision}`
    : `not due (${p.reason}); due from ${p.nextCheckAt}`;
  const settings = [
    `key ${p.keyType}, ${p.keyRotation === 'reuse' ? 'reused' : 'new each time'}`,
    p.renewBefore ? `renewBefore ${p.renewBefore}` : 'renewBefore: a third of the lifetime',
    ...(p.preferredChain ? [`preferred chain: ${p.preferredChain}`] : []),
  ];
  const lines = [
    `${p.certificateId}: ${verdict}`,
    p.current
      ? `  now: revision ${p.current.revision}, serial ${p.current.serial}, valid until ${p.current.notAfter}`
      : '  now: no revision yet',
    ...(p.failure ? [`  last run failed: ${p.failure.errorCode} (${p.failure.attempts} attempt(s))`] : []),
    `  CA ${p.directory}; ${settings.join('; ')}`,
    `  keystores: ${p.keystores.join(', ')}`,
    p.holders
      ? `  installed by: ${p.holders.map((h) => `${h.id} (${h.revisionOnDisk === null ? 'nothing yet' : `revision ${h.revisionOnDisk}`})`).join(', ') || 'nobody'}`
      : `  installed by: the agents of groups ${p.groups.join(', ') || '(none)'} (the configuration declares no nodes)`,
  ];
  return `${lines.join('\n')}\n`;
}
