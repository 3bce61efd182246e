/**
 * One DMZ instance of the demo: a real TLS server per certificate it serves and `acme-ha dmz serve`
 * in front of them, paired with the internal nodes that push to it (each with its own client
 * identity, all pinned); and, for a certificate whose names resolve to it, its port-80 responder
 * in redirect mode.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChallengeRequest } from '../../adapters/http/challenge-responder.ts';
import type { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { createPairingIdentity, type PairingIdentity } from '../../adapters/openssl/openssl-pairing.ts';
import type { DmzPeerConfig } from '../../core/config/agent-config.ts';
import { dmzConfigSchema } from '../../core/config/dmz-config.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { startDmzReceiver } from '../../dmz/compose-receiver.ts';
import { DEMO_PASSWORD_ENV, type DemoTlsServer, type ServerKind, startDemoTlsServer } from './demo-node.ts';

/** A certificate the DMZ instance serves, on a TLS server of its own. */
export interface DemoDmzCertificate {
  readonly id: string;
  readonly names: readonly string[];
}

export interface DemoDmz {
  readonly id: string;
  readonly kind: ServerKind;
  /** The TLS port of its first certificate. */
  readonly tlsPort: number;
  /** The TLS port of each certificate it serves. */
  readonly tlsPorts: ReadonlyMap<string, number>;
  /** The agent config entry a pushing node needs; a standby pusher waits before it pushes. */
  peerFor(nodeId: string, standbySeconds: number): DmzPeerConfig;
  stop(): Promise<void>;
}

export async function startDemoDmz(options: {
  readonly id: string;
  readonly kind: ServerKind;
  readonly directory: string;
  readonly certificates: readonly DemoDmzCertificate[];
  readonly password: string;
  readonly pushers: readonly string[];
  /** The port-80 responder, redirecting the CA to the public responder (`dmz serve`'s `responder`). */
  readonly responder?: { readonly host: string; readonly port: number; readonly redirectUrl: string };
  readonly onChallengeRequest?: (request: ChallengeRequest) => void;
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
  const servers: DemoTlsServer[] = [];
  for (const certificate of options.certificates)
    servers.push(
      await startDemoTlsServer({
        kind: options.kind,
        directory: join(options.directory, `server-${certificate.id}`),
        certificateId: certificate.id,
        names: certificate.names,
        password: options.password,
      }),
    );
  const [server] = servers;
  if (!server) throw new Error(`${options.id} serves no certificate`);
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
      targets: servers.map((s) => s.target),
      ...(options.responder ? { responder: options.responder } : {}),
    }),
    {
      log: options.log?.child({ dmz: options.id }) ?? silentLogger,
      env: { [DEMO_PASSWORD_ENV]: options.password },
      pollMs: 50,
      ...(options.onChallengeRequest ? { onChallengeRequest: options.onChallengeRequest } : {}),
    },
  ).catch(async (error: unknown) => {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  });
  return {
    id: options.id,
    kind: server.kind,
    tlsPort: server.tlsPort,
    tlsPorts: new Map(servers.map((s) => [s.target.certificateId, s.tlsPort])),
    peerFor: (nodeId, standbySeconds) => {
      const client = clients.get(nodeId);
      if (!client) throw new Error(`${nodeId} is not paired with ${options.id}`);
      return {
        id: options.id,
        url: runtime.receiver.url,
        serverFingerprint: receiverIdentity.fingerprint,
        clientCertificate: client.certificateFile,
        clientKey: client.keyFile,
        certificates: options.certificates.map((c) => c.id),
        standbySeconds,
        timeoutSeconds: 30,
        retryMinSeconds: 0.5,
        retryMaxSeconds: 5,
      };
    },
    stop: async () => {
      await runtime.stop();
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}
