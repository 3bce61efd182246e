/**
 * What every Lambda of acme-ha shares: its logger and its AWS clients, made once per container.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import type { AcmeHaConfig } from '../../core/config/certificate-config.ts';
import { parseConfig } from '../../core/config/parse-config.ts';

export const logger = new Logger({ serviceName: 'acme-ha' });

let clients: AwsClients | undefined;
export function awsClients(): AwsClients {
  clients ??= createAwsClients();
  return clients;
}

let config: { readonly path: string; readonly value: AcmeHaConfig } | undefined;

/**
 * The certificate configuration: validated by `cdk synth`, shipped as a JSON file in the bundle and
 * named by ACME_HA_CONFIG_FILE (relative to the code directory, LAMBDA_TASK_ROOT); validated again
 * here so that a hand-edited function fails with the full list of problems. Read once a container.
 */
export function bundledConfig(env: NodeJS.ProcessEnv = process.env): AcmeHaConfig {
  const name = env.ACME_HA_CONFIG_FILE;
  if (!name) throw new Error('ACME_HA_CONFIG_FILE is not set');
  const path = resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), name);
  if (config?.path !== path) config = { path, value: parseConfig(readFileSync(path, 'utf8'), path) };
  return config.value;
}
