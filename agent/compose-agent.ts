import { type AgentAwsClients, createAgentAwsClients } from '../adapters/aws/agent-aws-clients.ts';
import type { AwsClientConfigs } from '../adapters/aws/aws-client-configs.ts';
import { DynamoLock } from '../adapters/aws/dynamo-lock.ts';
import { DynamoNodeStatusStore } from '../adapters/aws/dynamo-node-status-store.ts';
import { DynamoRolloutStore } from '../adapters/aws/dynamo-rollout-store.ts';
import { DynamoStateStore } from '../adapters/aws/dynamo-state-store.ts';
import { SqsEventIntake } from '../adapters/aws/sqs-event-intake.ts';
import { readInputFile } from '../adapters/fs/input-file.ts';
import { InstalledRevisionFile } from '../adapters/fs/installed-revision-file.ts';
import { KeystoreFileSink } from '../adapters/fs/keystore-file-sink.ts';
import { InMemoryEventIntake } from '../adapters/memory/in-memory-event-intake.ts';
import { TlsProber } from '../adapters/probe/tls-prober.ts';
import { drainerFactory } from '../adapters/reload/drainer-for.ts';
import { HealthEndpoints } from '../adapters/reload/health-endpoint.ts';
import { reloaderFor } from '../adapters/reload/reloader-for.ts';
import { EnvSecretResolver } from '../adapters/secrets/env-secret-resolver.ts';
import { sleep } from '../adapters/time/sleep.ts';
import type { AgentLoopDeps, AgentLoopOptions, AgentObserver } from '../core/agent/agent-loop.ts';
import { planCertificates } from '../core/agent/plan-certificates.ts';
import type { AgentConfig } from '../core/config/agent-config.ts';
import type { DmzPeer, DmzPusher } from '../core/dmz/push-to-dmz.ts';
import type { ChallengeStore } from '../core/ports/challenge-store.ts';
import { type Clock, systemClock } from '../core/ports/clock.ts';
import type { KeystoreStore } from '../core/ports/keystore-store.ts';
import type { Logger } from '../core/ports/logger.ts';
import { resourceNames } from '../core/resource-layout.ts';

export interface AgentRuntime {
  readonly config: AgentConfig;
  readonly deps: AgentLoopDeps;
  readonly options: AgentLoopOptions;
  readonly clients: AgentAwsClients;
  /** The challenge table for the responder's lookup mode; its module is loaded by the first call. */
  challengeStore(): Promise<ChallengeStore>;
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

/**
 * Wires the agent's ports to DynamoDB, S3, SQS, the local disk, reload actions and TLS probes. What
 * an idle agent does not use is loaded when first needed (dynamic imports, which esbuild puts in
 * chunks of their own, loaded only then): the S3 client with the first download, the DMZ pusher only
 * when DMZ receivers are configured.
 */
export async function createAgent(config: AgentConfig, options: CreateAgentOptions): Promise<AgentRuntime> {
  // Health endpoints of drained targets are served as long as the process runs.
  const health = new HealthEndpoints();
  const plans = await planCertificates(
    config.targets,
    new EnvSecretResolver(options.env ?? process.env),
    reloaderFor,
    drainerFactory(health),
  );
  const { region, endpoints } = config.aws;
  const clients = createAgentAwsClients({
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
  const clock = options.clock ?? systemClock;
  const table = config.aws.table;
  const state = new DynamoStateStore(clients.documents, table);
  const keystores = lazyKeystoreStore(clients, config.aws.bucket);
  const installed = new InstalledRevisionFile(config.stateDirectory);
  const status = new DynamoNodeStatusStore(clients.documents, table);
  const lock = new DynamoLock(clients.documents, table, clock);
  let dmz: DmzPusher | undefined;
  if (config.dmz.length > 0) {
    const { DmzPusher } = await import('../core/dmz/push-to-dmz.ts');
    dmz = new DmzPusher({
      nodeId: config.node.id,
      peers: await dmzPeers(config),
      state,
      keystores,
      installed,
      status,
      lock,
      ownCertificates: new Set(plans.map((p) => p.certificateId)),
      reconcileIntervalMs: config.reconcileIntervalSeconds * 1000,
      clock,
      log: options.log,
      sleep,
      random: Math.random,
    });
  }
  const deps: AgentLoopDeps = {
    nodeId: config.node.id,
    state,
    keystores,
    files: new KeystoreFileSink(),
    installed,
    status,
    rollouts: new DynamoRolloutStore(clients.documents, table),
    lock,
    prober: new TlsProber(5_000),
    // Without a queue (a node that only answers HTTP-01 challenges) nothing ever arrives.
    intake: config.aws.queueUrl
      ? new SqsEventIntake(clients.sqs, config.aws.queueUrl)
      : new InMemoryEventIntake(),
    clock,
    log: options.log,
    sleep,
    random: Math.random,
    rollout: {
      maxParallel: config.rollout.maxParallel,
      slotTtlMs: config.rollout.slotTtlSeconds * 1000,
      canaryTimeoutMs: config.rollout.canaryTimeoutSeconds * 1000,
      probeTimeoutMs: config.rollout.probeTimeoutSeconds * 1000,
      pollMs: options.pollMs ?? 200,
    },
    ...(dmz ? { dmz } : {}),
  };
  await health.listen();
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
    challengeStore: async () => {
      const { DynamoChallengeStore } = await import('../adapters/aws/dynamo-challenge-store.ts');
      return new DynamoChallengeStore(clients.documents, table, clock);
    },
    close: () => {
      clients.destroy();
      void health.close();
    },
  };
}

/** The keystore bucket; the S3 SDK module and client are loaded by the first call. */
function lazyKeystoreStore(clients: AgentAwsClients, bucket: string): KeystoreStore {
  let store: Promise<KeystoreStore> | undefined;
  const load = () => {
    store ??= Promise.all([import('../adapters/aws/s3-keystore-store.ts'), clients.s3()]).then(
      ([{ S3KeystoreStore }, s3]) => new S3KeystoreStore(s3, bucket),
      (error: unknown) => {
        store = undefined;
        throw error;
      },
    );
    return store;
  };
  return {
    put: async (key, bytes) => (await load()).put(key, bytes),
    get: async (key) => (await load()).get(key),
  };
}

/** The DMZ receivers this node pushes to, with their client identity read once at start. */
async function dmzPeers(config: AgentConfig): Promise<DmzPeer[]> {
  const { HttpsDmzReceiverClient } = await import('../adapters/http/https-dmz-receiver-client.ts');
  return Promise.all(
    config.dmz.map(async (peer) => ({
      id: peer.id,
      certificates: peer.certificates,
      standbyMs: peer.standbySeconds * 1000,
      retryMinMs: peer.retryMinSeconds * 1000,
      retryMaxMs: peer.retryMaxSeconds * 1000,
      pushTimeoutMs: peer.timeoutSeconds * 1000,
      receiver: new HttpsDmzReceiverClient({
        dmzId: peer.id,
        url: peer.url,
        serverFingerprint: peer.serverFingerprint,
        clientCertificatePem: await readInputFile(
          peer.clientCertificate,
          `DMZ ${peer.id} client certificate`,
        ),
        clientKeyPem: await readInputFile(peer.clientKey, `DMZ ${peer.id} client key`),
        timeoutMs: peer.timeoutSeconds * 1000,
      }),
    })),
  );
}
