/**
 * What every Lambda of acme-ha shares: its logger and its AWS clients, made once per container.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { type AwsClients, createAwsClients } from '../../adapters/runtime/aws-clients.ts';
import { parseConfig } from '../../core/config/parse-config.ts';
import type { AcmeHaConfig } from '../../core/config/schema.ts';

export const logger = new Logger({ serviceName: 'acme-ha' });

let clients: AwsClients | undefined;
export function awsClients(): AwsClients {
  clients ??= createAwsClients();
  return clients;
}

/**
 * The certificate configuration, validated by `cdk synth` and passed as JSON in ACME_HA_CONFIG;
 * validated again here so that a hand-edited function fails with the full list of problems.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AcmeHaConfig {
  const json = env.ACME_HA_CONFIG;
  if (!json) throw new Error('ACME_HA_CONFIG is not set');
  return parseConfig(json, 'ACME_HA_CONFIG');
}
