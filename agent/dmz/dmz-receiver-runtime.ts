/**
 * Composition of the DMZ receiver: the agent's file sink, installed-revision file, reload actions
 * and TLS prober, the push use case, and the HTTPS listener (plus the optional port-80 redirect).
 * Nothing here loads the AWS SDK or an ACME client (test/integration/dmz/module-graph.test.ts).
 */

import { MemoryNodeStatusStore } from '../../adapters/dmz/memory-node-status-store.ts';
import { readInputFile } from '../../adapters/fs/input-file.ts';
import { InstalledRevisionFile } from '../../adapters/fs/installed-revision-file.ts';
import { KeystoreFileSink } from '../../adapters/fs/keystore-file-sink.ts';
import { TlsProber } from '../../adapters/probe/tls-prober.ts';
import { EnvSecretResolver } from '../../adapters/secrets/env-secret-resolver.ts';
import type { DmzConfig } from '../../core/agent/dmz-config.ts';
import { PushReceiver } from '../../core/agent/receive-push.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { Logger } from '../../core/ports/logger.ts';
import { planCertificates } from '../runtime/agent-plan.ts';
import { sleep } from './abortable-sleep.ts';
import { type RunningReceiver, startReceiverServer } from './receiver-server.ts';
import { type RedirectResponder, startRedirectResponder } from './redirect-responder.ts';

export interface DmzReceiverRuntime {
  readonly receiver: RunningReceiver;
  readonly responder: RedirectResponder | null;
  readonly certificates: readonly string[];
  stop(): Promise<void>;
}

export interface StartDmzOptions {
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  /** Pause between probe polls. @default 100 */
  readonly pollMs?: number;
}

/**
 * Starts the receiver (and the responder when configured).
 * @throws InvalidInputError for unreadable TLS files, SecretUnavailableError for a missing password
 */
export async function startDmzReceiver(
  config: DmzConfig,
  options: StartDmzOptions,
): Promise<DmzReceiverRuntime> {
  const plans = await planCertificates(config, new EnvSecretResolver(options.env ?? process.env));
  const [certificatePem, keyPem, ...clientCaPems] = await Promise.all([
    readInputFile(config.tls.certificate, 'receiver certificate'),
    readInputFile(config.tls.key, 'receiver key'),
    ...config.tls.clientCertificates.map((path) => readInputFile(path, 'client certificate')),
  ]);
  if (!certificatePem || !keyPem) throw new Error('unreachable: TLS files were read');
  const clock = options.clock ?? { now: () => new Date() };
  const receiver = new PushReceiver({
    receiverId: `dmz:${config.id}`,
    plans,
    files: new KeystoreFileSink(),
    installed: new InstalledRevisionFile(config.stateDirectory),
    status: new MemoryNodeStatusStore(),
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
  let responder: RedirectResponder | null = null;
  try {
    if (config.responder) responder = await startRedirectResponder({ ...config.responder, log: options.log });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    receiver: server,
    responder,
    certificates: plans.map((p) => p.certificateId),
    stop: async () => {
      await Promise.all([server.stop(), responder?.stop()]);
    },
  };
}
