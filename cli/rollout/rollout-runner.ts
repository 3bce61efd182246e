import { hostname } from 'node:os';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoRolloutStore } from '../../adapters/aws/dynamo-rollout-store.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { SnsEventPublisher } from '../../adapters/aws/sns-event-publisher.ts';
import { readConfigFile } from '../../adapters/fs/config-file.ts';
import { type CertificateConfig, configSchema } from '../../core/config/certificate-config.ts';
import type { Rollout } from '../../core/ports/rollout-store.ts';
import type { Revision } from '../../core/renewal/types.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, CliInputError, type CliIo } from '../io.ts';
import { type RolloutReport, renderRolloutReport, rolloutReport } from './rollout-report.ts';

export type RolloutAction = 'status' | 'pause' | 'resume';

export interface RolloutFlags {
  config?: string;
  json?: boolean;
}

/** What a pause or resume did. */
type Result = 'paused' | 'already-paused' | 'resumed' | 'reopened' | 'unchanged';

/** The stores one command reads and writes, on one table. */
interface Stores {
  readonly clients: AwsClients;
  readonly state: DynamoStateStore;
  readonly rollouts: DynamoRolloutStore;
}

/**
 * `acme-ha rollout status|pause|resume CERT`: the rollout of the certificate's current revision.
 * Pause and resume are one conditional write each on the rollout record; neither orders anything.
 */
export async function rollout(
  action: RolloutAction,
  certificateId: string,
  flags: RolloutFlags,
  io: CliIo,
): Promise<void> {
  const cert = flags.config ? await certificateIn(flags.config, certificateId) : null;
  const table = io.env.ACME_HA_TABLE;
  if (!table) throw new CliInputError('ACME_HA_TABLE is not set; `acme-ha local up` prints the environment');
  const clients = createAwsClients();
  const stores: Stores = {
    clients,
    state: new DynamoStateStore(clients.documents, table),
    rollouts: new DynamoRolloutStore(clients.documents, table),
  };
  try {
    const current = (await stores.state.get(certificateId)).current;
    if (action === 'status') {
      const report = await readReport(stores, certificateId, current, io.now());
      io.out(flags.json ? `${JSON.stringify(report)}\n` : renderRolloutReport(report, io.now()));
      return;
    }
    if (!current)
      throw new CliExit(
        EXIT.INVALID_INPUT,
        `${certificateId}: nothing published yet, no rollout to ${action}`,
      );
    const before = await stores.rollouts.get(certificateId, current.revision);
    if (!before)
      throw new CliExit(
        EXIT.INVALID_INPUT,
        `${certificateId}: no node has joined the rollout of revision ${current.revision} yet; nothing to ${action}`,
      );
    const { result, announced } =
      action === 'pause'
        ? { result: await pause(stores, before, operator(io), io.now()), announced: false }
        : await resume(stores, before, cert, io);
    const report = await readReport(stores, certificateId, current, io.now());
    if (flags.json) {
      io.out(
        `${JSON.stringify({ result, ...(action === 'resume' ? { announced } : {}), rollout: report })}\n`,
      );
      return;
    }
    io.out(`${summary(report, result, announced, cert !== null)}\n${renderRolloutReport(report, io.now())}`);
  } finally {
    clients.destroy();
  }
}

async function certificateIn(file: string, certificateId: string): Promise<CertificateConfig> {
  const config = await readConfigFile(file, 'configuration', configSchema);
  const cert = config.certificates.find((c) => c.id === certificateId);
  if (!cert) throw new CliExit(EXIT.INVALID_INPUT, `no certificate ${certificateId} in ${file}`);
  return cert;
}

/** Who paused it, as the record shows: the operator's login on this host. */
function operator(io: CliIo): string {
  return `${io.env.USER ?? io.env.LOGNAME ?? 'operator'}@${hostname()}`;
}

async function readReport(
  stores: Stores,
  certificateId: string,
  current: Revision | null,
  now: Date,
): Promise<RolloutReport> {
  if (!current) return rolloutReport({ certificateId, current, terms: null, rollout: null, slots: [] });
  const rollout = await stores.rollouts.get(certificateId, current.revision);
  if (!rollout) {
    // Nobody joined yet: what the renewer published is all there is to show.
    const terms = await stores.state.rolloutTerms(certificateId, current.revision);
    return rolloutReport({ certificateId, current, terms, rollout, slots: [] });
  }
  const slots = await stores.rollouts.slotHolders(certificateId, rollout.maxParallel, now);
  return rolloutReport({ certificateId, current, terms: null, rollout, slots });
}

async function pause(stores: Stores, before: Rollout, by: string, now: Date): Promise<Result> {
  const { certificateId, revision } = before;
  if (before.pausedAt !== null) return 'already-paused';
  const after = await stores.rollouts.pause(certificateId, revision, by, now);
  if (after?.pausedAt)
    return after.pausedBy === by && after.pausedAt === now.toISOString() ? 'paused' : 'already-paused';
  const why =
    after?.state === 'halted'
      ? `is halted (by ${after.haltedBy}: ${after.reason}): no node takes a slot anyway; \`acme-ha rollout resume ${certificateId}\` continues it once the node is fixed`
      : `is ${after?.state ?? 'gone'}: nothing to pause`;
  throw new CliExit(EXIT.INVALID_INPUT, `${certificateId}: the rollout of revision ${revision} ${why}`);
}

async function resume(
  stores: Stores,
  before: Rollout,
  cert: CertificateConfig | null,
  io: CliIo,
): Promise<{ result: Result; announced: boolean }> {
  const { certificateId, revision } = before;
  const after = await stores.rollouts.resume(certificateId, revision, io.now());
  const result: Result =
    before.state === 'halted' && after?.state === 'canary'
      ? 'reopened'
      : before.pausedAt !== null && after?.pausedAt === null
        ? 'resumed'
        : 'unchanged';
  if (result === 'unchanged') return { result, announced: false };
  return { result, announced: await announce(stores, cert, revision, io) };
}

/**
 * Announces the revision again, as the renewer did when it published it, so that nodes whose sync
 * ended on the halt sync now rather than at their next reconcile. Nodes take a repeated event for
 * what it is (the revision they have, or are about to install). Needs the certificate's groups
 * (--config) and the topic (ACME_HA_TOPIC_ARN); a failure here is reported, not fatal.
 */
async function announce(
  stores: Stores,
  cert: CertificateConfig | null,
  revision: number,
  io: CliIo,
): Promise<boolean> {
  const topic = io.env.ACME_HA_TOPIC_ARN;
  if (!cert || !topic) return false;
  try {
    await new SnsEventPublisher(stores.clients.sns, topic).publish({
      type: 'certificate.revision_published',
      certificateId: cert.id,
      revision,
      groups: cert.groups,
      nodes: cert.nodes,
      dmz: cert.dmz,
    });
    return true;
  } catch (error) {
    io.err(
      `acme-ha: revision ${revision} not announced (${(error as Error).message}); nodes continue at their next reconcile\n`,
    );
    return false;
  }
}

function summary(report: RolloutReport, result: Result, announced: boolean, configured: boolean): string {
  const id = report.certificateId;
  const rev = report.revision;
  const nodes = announced
    ? 'nodes were told (revision event)'
    : `nodes continue at their next reconcile${configured ? '' : ' (--config with ACME_HA_TOPIC_ARN set tells them at once)'}`;
  switch (result) {
    case 'paused':
      return `${id}: paused the rollout of revision ${rev}: no new slot is granted; nodes installing now finish`;
    case 'already-paused':
      return `${id}: the rollout of revision ${rev} was already paused`;
    case 'resumed':
      return `${id}: resumed the rollout of revision ${rev}; ${nodes}`;
    case 'reopened':
      return `${id}: resumed the halted rollout of revision ${rev} with no new order: the first node to sync is its canary; ${nodes}`;
    case 'unchanged':
      return `${id}: the rollout of revision ${rev} is neither paused nor halted: nothing to resume`;
  }
}
