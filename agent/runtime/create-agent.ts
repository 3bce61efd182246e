import { setTimeout as delay } from 'node:timers/promises';
import { DynamoLock } from '../../adapters/aws/dynamo-lock.ts';
import { DynamoNodeStatusStore } from '../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoRolloutStore } from '../../adapters/aws/dynamo-rollout-store.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { S3KeystoreStore } from '../../adapters/aws/s3-keystore-store.ts';
import { SqsEventIntake } from '../../adapters/aws/sqs-event-intake.ts';
import { InstalledRevisionFile } from '../../adapters/fs/installed-revision-file.ts';
import { KeystoreFileSink } from '../../adapters/fs/keystore-file-sink.ts';
import { TlsProber } from '../../adapters/probe/tls-prober.ts';
import {
  type AwsClientConfigs,
  type AwsClients,
  createAwsClients,
} from '../../adapters/runtime/aws-clients.ts';

import type { AgentConfig } from '../../core/agent/agent-config.ts';
import type { AgentLoopDeps, AgentLoopOptions, AgentObserver } from '../../core/agent/agent-loop.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { Logger } from '../../core/ports/logger.ts';
import { resourceNames } from '../../core/resource-layout.ts';
import { planCertificates } from './agent-plan.ts';
import { EnvPasswordResolver } from './env-password-resolver.ts';

export interface AgentRuntime {
  readonly config: AgentConfig;
  readonly deps: AgentLoopDeps;
  readonly options: AgentLoopOptions;
  readonly clients: AwsClients;
  /** Closes the AWS clients' sockets. */
  close(): void;
}

export interface CreateAgentOptions {
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  /** SDK client settings that win over the config (tests in the embedded stack's process). */
  readonly clientConfigs?: AwsClientConfigs;
  readonly observer?: AgentObserver;
  /** Pause between polls of slots, the canary and the probe. @default 200 */
  readonly pollMs?: number;
}

/** Wires the agent's ports to DynamoDB, S3, SQS, the local disk, reload actions and TLS probes. */
export async function createAgent(config: AgentConfig, options: CreateAgentOptions): Promise<AgentRuntime> {
  const plans = await planCertificates(config, new EnvPasswordResolver(options.env ?? process.env));
  const { region, endpoints } = config.aws;
  const clients = createAwsClients({
    dynamodb: {
      region,
      ...(endpoints.dynamodb ? { endpoint: endpoints.dynamodb } : {}),
      ...options.clientConfigs?.dynamodb,
    },
    s3: {
      region,
      ...(endpoints.s3 ? { endpoint: endpoints.s3, forcePathStyle: true } : {}),
      ...options.clientConfigs?.s3,
    },
    sqs: { region, ...(endpoints.sqs ? { endpoint: endpoints.sqs } : {}), ...options.clientConfigs?.sqs },
  });
  const clock = options.clock ?? { now: () => new Date() };
  const table = config.aws.table;
  const deps: AgentLoopDeps = {
    nodeId: config.node.id,
    state: new DynamoStateStore(clients.documents, table),
    keystores: new S3KeystoreStore(clients.s3, config.aws.bucket),
    files: new KeystoreFileSink(),
    installed: new InstalledRevisionFile(config.stateDirectory),
    status: new DynamoNodeStatusStore(clients.documents, table),
    rollouts: new DynamoRolloutStore(clients.documents, table),
    lock: new DynamoLock(clients.documents, table, clock),
    prober: new TlsProber(5_000),
    intake: new SqsEventIntake(clients.sqs, config.aws.queueUrl),
    clock,
    log: options.log,
    sleep: sleep,
    random: Math.random,
    rollout: {
      maxParallel: config.rollout.maxParallel,
      slotTtlMs: config.rollout.slotTtlSeconds * 1000,
      canaryTimeoutMs: config.rollout.canaryTimeoutSeconds * 1000,
      probeTimeoutMs: config.rollout.probeTimeoutSeconds * 1000,
      pollMs: options.pollMs ?? 200,
    },
  };
  return {
    config,
    deps,
    options: {
      plans,
      reconcileIntervalMs: config.reconcileIntervalSeconds * 1000,
      maxReceiveCount: resourceNames().queue(config.node.id).maxReceiveCount,
      ...(options.observer ? { observer: options.observer } : {}),
    },
    clients,
    close: () => clients.destroy(),
  };
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch {
    // Aborted: the caller checks the signal.
  }
}
