/**
 * The internal agent's side of a DMZ push: HTTPS with this node's client certificate, and the
 * receiver identified by its pinned certificate fingerprint alone (the pairing certificate is
 * self-signed; no CA is involved). The TLS connection is opened and the pin checked before a single
 * byte of the request is written, so nothing reaches a server that is not the paired receiver.
 */
import { request } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import * as z from '../../core/config/zod.ts';
import { DmzUnreachableError } from '../../core/dmz/dmz-errors.ts';
import { certificateFingerprint } from '../../core/dmz/fingerprint.ts';
import type { RevisionPush } from '../../core/dmz/revision-push.ts';
import type { DmzAnswer, DmzInstalled, DmzReceiverClient } from '../../core/ports/dmz-receiver.ts';

export interface HttpsDmzReceiverOptions {
  readonly dmzId: string;
  /** `https://host:port` of the receiver (a path prefix is kept). */
  readonly url: string;
  /** Lower-case hex SHA-256 of the receiver's certificate. */
  readonly serverFingerprint: string;
  readonly clientCertificatePem: string | Buffer;
  readonly clientKeyPem: string | Buffer;
  readonly timeoutMs: number;
}

const installedSchema = z.object({
  certificateId: z.string(),
  revision: z.nullable(z.int()),
  serial: z.nullable(z.string()),
});

const answerSchema = z.object({
  certificateId: z.string(),
  result: z.enum([
    'applied',
    'unchanged',
    'up-to-date',
    'obsolete',
    'no-revision',
    'rejected',
    'rolled-back',
    'halted',
    'failed',
    'interrupted',
    'refused',
  ]),
  revision: z.nullable(z.int()),
  installedRevision: z.nullable(z.int()),
  servedSerial: z.nullable(z.string()),
  errorCode: z.nullable(z.string()),
  message: z.nullable(z.string()),
});

export class HttpsDmzReceiverClient implements DmzReceiverClient {
  private readonly base: URL;

  constructor(private readonly options: HttpsDmzReceiverOptions) {
    this.base = new URL(options.url);
  }

  async installed(certificateId: string, signal?: AbortSignal): Promise<DmzInstalled> {
    const { status, body } = await this.call('GET', certificateId, undefined, signal);
    const parsed = installedSchema.safeParse(body);
    if (status !== 200 || !parsed.success) throw this.unreachable(`GET answered ${status}${describe(body)}`);
    return parsed.data;
  }

  async push(push: RevisionPush, signal?: AbortSignal): Promise<DmzAnswer> {
    const { status, body } = await this.call(
      'POST',
      push.revision.certificateId,
      Buffer.from(JSON.stringify(push)),
      signal,
    );
    const parsed = answerSchema.safeParse(body);
    if (!parsed.success) throw this.unreachable(`POST answered ${status}${describe(body)}`);
    return parsed.data;
  }

  private unreachable(message: string, cause?: unknown): DmzUnreachableError {
    return new DmzUnreachableError(this.options.dmzId, message, cause ? { cause } : undefined);
  }

  private async call(
    method: 'GET' | 'POST',
    certificateId: string,
    body?: Buffer,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: unknown }> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const deadline = signal ? AbortSignal.any([timeout, signal]) : timeout;
    const socket = await this.connectPinned(deadline);
    const path = `${this.base.pathname.replace(/\/+$/, '')}/v1/revisions/${encodeURIComponent(certificateId)}`;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          method,
          path,
          host: this.base.hostname,
          port: Number(this.base.port || 443),
          // No agent: with `createConnection` and no agent, the request runs on our pinned socket.
          createConnection: () => socket,
          headers: {
            accept: 'application/json',
            ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}),
          },
          signal: deadline,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > 64 * 1024) req.destroy(new Error('answer larger than 64 KiB'));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // Not JSON: reported as is (truncated) by the caller.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', (error) => reject(this.unreachable(error.message, error)));
        },
      );
      req.on('error', (error) =>
        reject(
          this.unreachable(
            signal?.aborted
              ? 'aborted (shutting down)'
              : timeout.aborted
                ? `no answer within ${this.options.timeoutMs} ms`
                : error.message,
            error,
          ),
        ),
      );
      req.end(body);
    });
  }

  /** A TLS connection whose server presented the pinned certificate; nothing is written before. */
  private connectPinned(signal: AbortSignal): Promise<TLSSocket> {
    const port = Number(this.base.port || 443);
    const host = this.base.hostname.replace(/^\[|\]$/g, '');
    return new Promise((resolve, reject) => {
      // An 'abort' listener added to a signal that has already fired never runs: without this, a
      // call made while shutting down waited for ever on a receiver that accepts and never answers.
      if (signal.aborted) {
        reject(this.unreachable('aborted before connecting'));
        return;
      }
      const socket = connect({
        host,
        port,
        ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
        cert: this.options.clientCertificatePem,
        key: this.options.clientKeyPem,
        // Trust is the pin, checked below: the receiver's certificate is self-signed by design.
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
      });
      const fail = (error: Error) => {
        socket.destroy();
        reject(this.unreachable(signal.aborted ? 'TLS connection timed out' : error.message, error));
      };
      const onAbort = () => fail(new Error('timed out'));
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('error', fail);
      socket.once('secureConnect', () => {
        signal.removeEventListener('abort', onAbort);
        socket.off('error', fail);
        const peer = socket.getPeerCertificate();
        const served = peer?.raw ? certificateFingerprint(peer.raw) : 'none';
        if (served !== this.options.serverFingerprint) {
          socket.destroy();
          reject(
            this.unreachable(
              `the receiver's certificate ${served.slice(0, 16)}… is not the pinned ${this.options.serverFingerprint.slice(0, 16)}…`,
            ),
          );
          return;
        }
        resolve(socket);
      });
    });
  }
}

function describe(body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body) return `: ${String(body.message).slice(0, 200)}`;
  return typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : '';
}
