/**
 * One DMZ instance of the demo: a real TLS server and `acme-ha dmz serve` in front of it, paired
 * with the internal nodes that push to it (each with its own client identity, all pinned).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { createPairingIdentity, type PairingIdentity } from '../../adapters/openssl/openssl-pairing.ts';
import type { DmzPeerConfig } from '../../core/config/agent-config.ts';
import { dmzConfigSchema } from '../../core/config/dmz-config.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { startDmzReceiver } from '../../dmz/compose-receiver.ts';
import { DEMO_PASSWORD_ENV, type ServerKind, startDemoTlsServer } from './demo-node.ts';

export interface DemoDmz {
  readonly id: string;
  readonly kind: ServerKind;
  readonly tlsPort: number;
  /** The agent config entry a pushing node needs; a standby pusher waits before it pushes. */
  peerFor(nodeId: string, standbySeconds: number): DmzPeerConfig;
  stop(): Promise<void>;
}

export async function startDemoDmz(options: {
  readonly id: string;
  readonly kind: ServerKind;
  readonly directory: string;
  readonly certificateId: string;
  readonly names: readonly string[];
  readonly password: string;
  readonly pushers: readonly string[];
  readonly log?: JsonLogger | undefined;
}): Promise<DemoDmz> {
  const pairing = join(options.directory, 'pairing');
  await mkdir(pairing, { recursive: true, mode: 0o700 });
  const receiverIdentity = await createPairingIdentity({
    certificateFile: join(pairing, 'receiver-cert.pem'),
    keyFile: join(pairing, 'receiver-key.pem'),
    commonName: options.id,
    subjectAltNames: ['localhost', '127.0.0.1'],
    usage: 'serverAuth',
    days: 30,
  });
  const clients = new Map<string, PairingIdentity>();
  for (const node of options.pushers) {
    clients.set(
      node,
      await createPairingIdentity({
        certificateFile: join(pairing, `${node}-cert.pem`),
        keyFile: join(pairing, `${node}-key.pem`),
        commonName: node,
        usage: 'clientAuth',
        days: 30,
      }),
    );
  }
  const server = await startDemoTlsServer({ ...options, directory: join(options.directory, 'server') });
  const identities = [...clients.values()];
  const runtime = await startDmzReceiver(
    dmzConfigSchema.parse({
      version: 1,
      id: options.id,
      listen: { host: '127.0.0.1', port: 0 },
      tls: {
        certificate: receiverIdentity.certificateFile,
        key: receiverIdentity.keyFile,
        clientCertificates: identities.map((c) => c.certificateFile),
        pinnedClients: identities.map((c) => c.fingerprint),
      },
      stateDirectory: join(options.directory, 'state'),
      probeTimeoutSeconds: 10,
      targets: [server.target],
    }),
    {
      log: options.log?.child({ dmz: options.id }) ?? silentLogger,
      env: { [DEMO_PASSWORD_ENV]: options.password },
      pollMs: 50,
    },
  );
  return {
    id: options.id,
    kind: server.kind,
    tlsPort: server.tlsPort,
    peerFor: (nodeId, standbySeconds) => {
      const client = clients.get(nodeId);
      if (!client) throw new Error(`${nodeId} is not paired with ${options.id}`);
      return {
        id: options.id,
        url: runtime.receiver.url,
        serverFingerprint: receiverIdentity.fingerprint,
        clientCertificate: client.certificateFile,
        clientKey: client.keyFile,
        certificates: [options.certificateId],
        standbySeconds,
        timeoutSeconds: 30,
        retryMinSeconds: 0.5,
        retryMaxSeconds: 5,
      };
    },
    stop: async () => {
      await runtime.stop();
      await server.stop();
    },
  };
}
