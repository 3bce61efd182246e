/**
 * DMZ receivers for tests: pairing identities made by the real pairing code, receiver configs
 * through the real schema, receivers started in the test's process, and raw HTTPS requests with any
 * client identity (or none) for the refusal cases.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { createPairingIdentity, type PairingIdentity } from '../../adapters/openssl/openssl-pairing.ts';
import type { DmzPeerConfig, TargetConfig } from '../../core/config/agent-config.ts';
import { type DmzConfig, dmzConfigSchema } from '../../core/config/dmz-config.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { type DmzReceiverRuntime, startDmzReceiver } from '../../dmz/compose-receiver.ts';
import { PASSWORD, PASSWORD_ENV } from './agent-fleet.ts';

export async function aReceiverIdentity(dir: string, name = 'dmz'): Promise<PairingIdentity> {
  return createPairingIdentity({
    certificateFile: join(dir, `${name}-cert.pem`),
    keyFile: join(dir, `${name}-key.pem`),
    commonName: name,
    subjectAltNames: ['localhost', '127.0.0.1'],
    usage: 'serverAuth',
    days: 30,
  });
}

export async function aClientIdentity(dir: string, name: string): Promise<PairingIdentity> {
  return createPairingIdentity({
    certificateFile: join(dir, `${name}-cert.pem`),
    keyFile: join(dir, `${name}-key.pem`),
    commonName: name,
    usage: 'clientAuth',
    days: 30,
  });
}

type TargetInput = Omit<TargetConfig, 'mode' | 'names' | 'probe'> & {
  readonly probe?: { port: number; sni?: string }[];
  readonly names?: string[];
};

/** A receiver config through the real schema (defaults included). */
export function dmzConfigFor(options: {
  readonly id: string;
  readonly stateDirectory: string;
  readonly receiver: PairingIdentity;
  /** Trust anchors; `pinned` must be among them to be accepted. */
  readonly trusted: readonly PairingIdentity[];
  readonly pinned: readonly PairingIdentity[];
  readonly targets: readonly TargetInput[];
  readonly port?: number;
  readonly responder?: { port: number; redirectUrl: string };
  readonly maxBodyBytes?: number;
}): DmzConfig {
  return dmzConfigSchema.parse({
    version: 1,
    id: options.id,
    listen: { host: '127.0.0.1', port: options.port ?? 0 },
    tls: {
      certificate: options.receiver.certificateFile,
      key: options.receiver.keyFile,
      clientCertificates: options.trusted.map((t) => t.certificateFile),
      pinnedClients: options.pinned.map((p) => p.fingerprint),
    },
    stateDirectory: options.stateDirectory,
    probeTimeoutSeconds: 5,
    targets: options.targets,
    ...(options.responder ? { responder: { host: '127.0.0.1', ...options.responder } } : {}),
    ...(options.maxBodyBytes ? { limits: { maxBodyBytes: options.maxBodyBytes } } : {}),
  });
}

export function startTestDmz(config: DmzConfig, logLines?: string[]): Promise<DmzReceiverRuntime> {
  return startDmzReceiver(config, {
    log: logLines
      ? new JsonLogger((l) => logLines.push(l), 'dmz', 'debug', { dmz: config.id })
      : silentLogger,
    env: { [PASSWORD_ENV]: PASSWORD },
    pollMs: 50,
  });
}

/** The receiver identity of a DMZ config, as the pushers pin it. */
export function receiverIdentityOf(config: DmzConfig): PairingIdentity {
  const pem = readFileSync(config.tls.certificate);
  return {
    certificateFile: config.tls.certificate,
    keyFile: config.tls.key,
    fingerprint: new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase(),
    notAfter: '',
  };
}

/** An agent config's `dmz` entry for a running receiver, with fast retries for tests. */
export function dmzPeerFor(options: {
  readonly id: string;
  readonly port: number;
  readonly receiver: PairingIdentity;
  readonly client: PairingIdentity;
  readonly certificates: readonly string[];
}): DmzPeerConfig {
  return {
    id: options.id,
    url: `https://127.0.0.1:${options.port}`,
    serverFingerprint: options.receiver.fingerprint,
    clientCertificate: options.client.certificateFile,
    clientKey: options.client.keyFile,
    certificates: [...options.certificates],
    standbySeconds: 0,
    timeoutSeconds: 30,
    retryMinSeconds: 0.2,
    retryMaxSeconds: 1,
  };
}

export interface RawAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * One request to a receiver, as any client could send it: with a client identity or none, over
 * HTTPS or plain HTTP. Rejects when the connection is refused or cut (that is the expected outcome
 * of several refusal cases).
 */
export function rawDmzRequest(options: {
  readonly port: number;
  readonly method?: 'GET' | 'POST';
  readonly path: string;
  readonly body?: Buffer | string;
  readonly client?: PairingIdentity | undefined;
  readonly plainHttp?: boolean;
  /** Send without content-length (chunked), so the receiver must count. */
  readonly chunked?: boolean;
}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (body && !options.chunked) headers['content-length'] = body.length;
    const common = {
      host: '127.0.0.1',
      port: options.port,
      method: options.method ?? (body ? 'POST' : 'GET'),
      path: options.path,
      headers,
      agent: false as const,
      timeout: 10_000,
    };
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Record<string, unknown> = { text };
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // kept as text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    };
    const req = options.plainHttp
      ? httpRequest(common, onResponse)
      : httpsRequest(
          {
            ...common,
            rejectUnauthorized: false,
            ...(options.client
              ? {
                  cert: readFileSync(options.client.certificateFile),
                  key: readFileSync(options.client.keyFile),
                }
              : {}),
          },
          onResponse,
        );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body && options.chunked) {
      // In pieces, so the cap must be enforced while reading, not from a header.
      const piece = 64 * 1024;
      for (let i = 0; i < body.length; i += piece) req.write(body.subarray(i, i + piece));
      req.end();
    } else req.end(body);
  });
}
