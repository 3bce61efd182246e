import { createAgentAwsClients } from '../../adapters/aws/agent-aws-clients.ts';
import { DynamoNodeStatusStore } from '../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoRolloutStore } from '../../adapters/aws/dynamo-rollout-store.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { readConfigFile } from '../../adapters/fs/config-file.ts';
import { configSchema } from '../../core/config/certificate-config.ts';
import { formatPath } from '../../core/config/parse-config.ts';
import * as z from '../../core/config/zod.ts';
import type { FleetThresholdSettings } from '../../core/fleet/fleet-thresholds.ts';
import { type FleetStores, readFleetOf, watchedCertificates } from '../../core/fleet/read-fleet.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, CliInputError, type CliIo } from '../io.ts';
import { fleetProblemsLine, renderFleetCertificate, WITHOUT_CONFIG_NOTE } from './fleet-table.ts';

export interface StatusFlags {
  config?: string;
  certificate?: string[];
  json?: boolean;
  silentAfter?: string;
  lagGrace?: string;
  expiryDays?: string;
}

/** Exit code of a fleet with a failed, silent, expiring node or one lagging beyond the grace. */
export const FLEET_UNHEALTHY_EXIT = EXIT.WORK_FAILED;

const wholeNumber = (max: number) =>
  z.optional(
    z
      .pipe(z.string().check(z.regex(/^\d+$/, 'a whole number')), z.transform(Number))
      .check(z.refine((n: number) => n >= 1 && n <= max, `from 1 to ${max}`)),
  );

const thresholdFlags = z.object({
  silentAfter: wholeNumber(7 * 24 * 60),
  lagGrace: wholeNumber(7 * 24 * 60),
  expiryDays: wholeNumber(365),
});

const FLAG_NAMES: Record<string, string> = {
  silentAfter: '--silent-after',
  lagGrace: '--lag-grace',
  expiryDays: '--expiry-days',
};

/** The threshold flags, validated (minutes, minutes, days). */
export function thresholdSettings(flags: StatusFlags): FleetThresholdSettings {
  const parsed = thresholdFlags.safeParse(flags);
  if (!parsed.success)
    throw new CliInputError(
      parsed.error.issues
        .map((i) => `${FLAG_NAMES[formatPath(i.path)] ?? formatPath(i.path)}: ${i.message}`)
        .join('; '),
    );
  return {
    silentAfterMinutes: parsed.data.silentAfter,
    lagGraceMinutes: parsed.data.lagGrace,
    expiryDays: parsed.data.expiryDays,
  };
}

/**
 * `acme-ha status`: per certificate one Query-sized read (state, rollout of the current revision,
 * node reports, the older revisions nodes still serve), judged by core/agent/fleet-status.ts like
 * the fleet-watch function judges it. Exits FLEET_UNHEALTHY_EXIT when any node has a problem.
 */
export async function status(flags: StatusFlags, io: CliIo): Promise<void> {
  const settings = thresholdSettings(flags);
  const config = flags.config ? await readConfigFile(flags.config, 'configuration', configSchema) : undefined;
  const ids = [...new Set([...(config?.certificates.map((c) => c.id) ?? []), ...(flags.certificate ?? [])])];
  if (ids.length === 0) throw new CliInputError('name the certificates: --config FILE or --certificate ID');
  const table = io.env.ACME_HA_TABLE;
  if (!table) throw new CliInputError('ACME_HA_TABLE is not set; `acme-ha local up` prints the environment');
  // The agent's clients (DynamoDB is all this reads): the bundle carries no SNS or Route 53 client.
  const clients = createAgentAwsClients();
  try {
    const stores: FleetStores = {
      state: new DynamoStateStore(clients.documents, table),
      rollouts: new DynamoRolloutStore(clients.documents, table),
      nodes: new DynamoNodeStatusStore(clients.documents, table),
    };
    const now = io.now();
    // With a configuration, the certificates it retired are listed too (one read of the catalog).
    const watched = config ? await watchedCertificates(stores, ids) : ids;
    const certificates = await Promise.all(
      watched.map((certificateId) => readFleetOf(stores, { certificateId, config, settings, now })),
    );
    const healthy = certificates.every((c) => c.healthy);
    if (flags.json) io.out(`${JSON.stringify({ healthy, certificates })}\n`);
    else {
      io.out(certificates.map((c) => renderFleetCertificate(c, now)).join('\n'));
      if (certificates.some((c) => !c.audienceKnown)) io.out(`\n${WITHOUT_CONFIG_NOTE}\n`);
    }
    if (!healthy) throw new CliExit(FLEET_UNHEALTHY_EXIT, fleetProblemsLine(certificates));
  } finally {
    clients.destroy();
  }
}
