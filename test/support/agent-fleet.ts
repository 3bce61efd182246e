/**
 * Agents in the test's own process against the embedded stack: each with its own AWS clients,
 * directory, config (parsed by the real schema) and, when started, its own daemon loop.
 */

import { createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoNodeStatusStore } from '../../adapters/aws/dynamo-node-status-store.ts';
import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { type AgentRuntime, createAgent } from '../../agent/compose-agent.ts';
import { runAgent } from '../../core/agent/agent-loop.ts';
import { type AgentConfig, agentConfigSchema } from '../../core/config/agent-config.ts';
import type { AcmeHaConfig } from '../../core/config/certificate-config.ts';
import { configSchema } from '../../core/config/certificate-config.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import type { NodeStatus } from '../../core/ports/node-status-store.ts';
import { runRenewals } from '../../core/renewal/run-renewals.ts';
import { createControlPlane } from '../../functions/commons/compose-control-plane.ts';
import { stackControlPlaneSettings } from '../../local/control-plane-settings.ts';
import type { LocalStack } from '../../local/stack.ts';

export const PASSWORD_ENV = 'ACME_HA_AGENT_TEST_PASSWORD';
export const PASSWORD = 'changeit';

export type TargetInput = Omit<AgentConfig['targets'][number], 'mode' | 'names' | 'probe'> & {
  readonly probe?: { port: number; sni?: string }[];
  readonly names?: string[];
};

/** An agent config for a node of the stack, through the real schema (defaults included). */
export function agentConfigFor(
  stack: LocalStack,
  nodeId: string,
  stateDirectory: string,
  targets: readonly TargetInput[],
  rollout: Partial<AgentConfig['rollout']> = {},
): AgentConfig {
  const queue = stack.resources.queues[nodeId];
  if (!queue) throw new Error(`the stack has no queue for ${nodeId}`);
  return agentConfigSchema.parse({
    version: 1,
    node: { id: nodeId, groups: ['web'] },
    aws: {
      region: stack.region,
      table: stack.resources.tableName,
      bucket: stack.resources.bucket,
      queueUrl: queue.url,
    },
    stateDirectory,
    reconcileIntervalSeconds: 3600,
    rollout: { probeTimeoutSeconds: 5, ...rollout },
    targets,
  });
}

export interface RunningAgent {
  readonly runtime: AgentRuntime;
  /** Stops the daemon loop (as SIGTERM does) and waits for it. */
  stop(): Promise<void>;
}

export async function createTestAgent(
  stack: LocalStack,
  config: AgentConfig,
  logLines?: string[],
): Promise<AgentRuntime> {
  return createAgent(config, {
    log: logLines
      ? new JsonLogger((l) => logLines.push(l), 'agent', 'debug', { nodeId: config.node.id })
      : silentLogger,
    env: { [PASSWORD_ENV]: PASSWORD },
    clientConfigs: stack.clientConfigs,
    pollMs: 50,
  });
}

/** Runs the daemon loop (reconcile at start, then long poll) until stopped. */
export function startDaemon(runtime: AgentRuntime): RunningAgent {
  const controller = new AbortController();
  const loop = runAgent(runtime.deps, runtime.options, controller.signal);
  return {
    runtime,
    stop: async () => {
      controller.abort();
      await loop;
    },
  };
}

/** The certificate config the renewer runs on the stack's Pebble. */
export function certificateConfigFor(stack: LocalStack, id: string, domains: string[]): AcmeHaConfig {
  const directory = stack.pebble?.directoryUrl;
  if (!directory) throw new Error('the stack runs without Pebble');
  return configSchema.parse({
    version: 1,
    defaults: { directory },
    certificates: [
      {
        id,
        domains,
        groups: ['web'],
        keystores: [{ format: 'jks', alias: 'server', password: { env: PASSWORD_ENV } }, { format: 'pem' }],
      },
    ],
  });
}

/** `acme-ha renew --force` in-process: Pebble issues, S3 and DynamoDB store, SNS announces. */
export async function forceRenewal(stack: LocalStack, config: AcmeHaConfig): Promise<void> {
  const clients = createAwsClients(stack.clientConfigs);
  try {
    const plane = createControlPlane(stackControlPlaneSettings(stack), clients, {
      log: silentLogger,
      clock: { now: () => new Date() },
      env: { [PASSWORD_ENV]: PASSWORD },
    });
    const result = await runRenewals(config, plane, { force: true });
    const failed = result.outcomes.filter((o) => o.result !== 'renewed');
    if (failed.length > 0) throw new Error(`renewal did not happen: ${JSON.stringify(failed)}`);
  } finally {
    clients.destroy();
  }
}

export async function nodeStatuses(stack: LocalStack, certificateId: string): Promise<NodeStatus[]> {
  const clients = createAwsClients(stack.clientConfigs);
  try {
    return await new DynamoNodeStatusStore(clients.documents, stack.resources.tableName).list(certificateId);
  } finally {
    clients.destroy();
  }
}
