/**
 * Composition of the DMZ receiver: the agent's file sink, installed-revision file, reload actions
 * and TLS prober, the push use case, the HTTPS listener, and the optional port-80 responder in
 * redirect mode (the node agent's responder). Nothing here loads the AWS SDK or an ACME client
 * (test/integration/dmz/module-graph.test.ts).
 */

import { readInputFile } from '../adapters/fs/input-file.ts';
import { InstalledRevisionFile } from '../adapters/fs/installed-revision-file.ts';
import { KeystoreFileSink } from '../adapters/fs/keystore-file-sink.ts';
import {
  type ChallengeRequest,
  type ChallengeResponder,
  startChallengeResponder,
} from '../adapters/http/challenge-responder.ts';
import { InMemoryLock } from '../adapters/memory/in-memory-lock.ts';
import { InMemoryNodeStatusStore } from '../adapters/memory/in-memory-node-status-store.ts';
import { TlsProber } from '../adapters/probe/tls-prober.ts';
import { drainerFactory } from '../adapters/reload/drainer-for.ts';
import { HealthEndpoints } from '../adapters/reload/health-endpoint.ts';
import { reloaderFor } from '../adapters/reload/reloader-for.ts';
import { EnvSecretResolver } from '../adapters/secrets/env-secret-resolver.ts';
import { sleep } from '../adapters/time/sleep.ts';
import { planCertificates } from '../core/agent/plan-certificates.ts';
import type { DmzConfig } from '../core/config/dmz-config.ts';
import { PushReceiver } from '../core/dmz/receive-push.ts';
import { type Clock, systemClock } from '../core/ports/clock.ts';
import type { Logger } from '../core/ports/logger.ts';
import { type RunningReceiver, startReceiverServer } from './receiver-server.ts';

export interface DmzReceiverRuntime {
  readonly receiver: RunningReceiver;
  readonly responder: ChallengeResponder | null;
  readonly certificates: readonly string[];
  stop(): Promise<void>;
}

export interface StartDmzOptions {
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  /** Pause between probe polls. @default 100 */
  readonly pollMs?: number;
  /** Each challenge request the port-80 responder redirected (besides its log line). */
  readonly onChallengeRequest?: (request: ChallengeRequest) => void;
}

/**
 * Starts the receiver (and the responder when configured).
 * @throws InvalidInputError for unreadable TLS files, SecretUnavailableError for a missing password
 */
export async function startDmzReceiver(
  config: DmzConfig,
  options: StartDmzOptions,
): Promise<DmzReceiverRuntime> {
  // Health endpoints of drained targets are served as long as the process runs.
  const health = new HealthEndpoints();
  const plans = await planCertificates(
    config.targets,
    new EnvSecretResolver(options.env ?? process.env),
    reloaderFor,
    drainerFactory(health),
  );
  const [certificatePem, keyPem, ...clientCaPems] = await Promise.all([
    readInputFile(config.tls.certificate, 'receiver certificate'),
    readInputFile(config.tls.key, 'receiver key'),
    ...config.tls.clientCertificates.map((path) => readInputFile(path, 'client certificate')),
  ]);
  if (!certificatePem || !keyPem) throw new Error('unreachable: TLS files were read');
  const clock = options.clock ?? systemClock;
  const receiver = new PushReceiver({
    receiverId: `dmz:${config.id}`,
    plans,
    files: new KeystoreFileSink(),
    installed: new InstalledRevisionFile(config.stateDirectory),
    // No status table here (no cloud access): its pushers record what it answered in theirs. Lost
    // on restart, which is harmless: the installed revision, the part that matters, is on disk.
    status: new InMemoryNodeStatusStore(),
    lock: new InMemoryLock(clock),
    prober: new TlsProber(5_000),
    clock,
    log: options.log,
    sleep,
    probeTimeoutMs: config.probeTimeoutSeconds * 1000,
    pollMs: options.pollMs ?? 100,
  });
  const server = await startReceiverServer({
    host: config.listen.host,
    port: config.listen.port,
    certificatePem,
    keyPem,
    clientCaPems,
    pinnedClients: config.tls.pinnedClients,
    maxBodyBytes: config.limits.maxBodyBytes,
    headersTimeoutMs: config.limits.headersTimeoutSeconds * 1000,
    bodyTimeoutMs: config.limits.bodyTimeoutSeconds * 1000,
    idleTimeoutMs: config.limits.idleTimeoutSeconds * 1000,
    receiver,
    log: options.log,
  });
  let responder: ChallengeResponder | null = null;
  try {
    if (config.responder) {
      const { host, port, redirectUrl } = config.responder;
      responder = await startChallengeResponder({
        host,
        port,
        redirectUrl,
        onRequest: (request) => {
          // As the agent: refusals (a scanner's paths) at debug level only.
          if (request.status === 302) options.log.info('challenge redirected', { ...request });
          else options.log.debug('challenge refused', { ...request });
          options.onChallengeRequest?.(request);
        },
      });
    }
    await health.listen();
  } catch (error) {
    await Promise.all([server.stop(), responder?.stop(), health.close()]);
    throw error;
  }
  return {
    receiver: server,
    responder,
    certificates: plans.map((p) => p.certificateId),
    stop: async () => {
      await Promise.all([server.stop(), responder?.stop(), health.close()]);
    },
  };
}
