/**
 * The DMZ receiver's HTTPS listener: mutual TLS (client certificates must chain to the configured
 * pairing certificates AND have a pinned SHA-256 fingerprint), a body size cap, header/body/idle
 * timeouts, and error bodies that tell an operator what happened without paths or stacks.
 *
 *   GET  /v1/revisions/<certificateId>  → { certificateId, revision, serial } (what is installed)
 *   POST /v1/revisions/<certificateId>  → the push outcome (see DmzAnswer), JSON body in
 *   GET  /v1/health                     → { ok: true }
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { closeHttp, listenOn } from '../adapters/http/http-server.ts';
import { certificateFingerprint } from '../core/dmz/fingerprint.ts';
import type { PushReceiver } from '../core/dmz/receive-push.ts';
import type { Logger } from '../core/ports/logger.ts';

export interface ReceiverServerOptions {
  readonly host: string;
  readonly port: number;
  readonly certificatePem: string | Buffer;
  readonly keyPem: string | Buffer;
  /** Trust anchors for client certificates (the self-signed pairing certificates). */
  readonly clientCaPems: readonly (string | Buffer)[];
  /** Lower-case hex SHA-256 fingerprints of the accepted client certificates. */
  readonly pinnedClients: readonly string[];
  readonly maxBodyBytes: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly receiver: PushReceiver;
  readonly log: Logger;
}

export interface RunningReceiver {
  readonly port: number;
  readonly url: string;
  /** Idempotent; in-flight pushes are cut off (their sync finishes in the background). */
  stop(): Promise<void>;
}

const ROUTE = /^\/v1\/revisions\/([a-z0-9][a-z0-9-]{0,62})$/;

export async function startReceiverServer(options: ReceiverServerOptions): Promise<RunningReceiver> {
  const pinned = new Set(options.pinnedClients);
  const log = options.log;
  const server: Server = createServer(
    {
      cert: options.certificatePem,
      key: options.keyPem,
      ca: [...options.clientCaPems],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      handshakeTimeout: options.headersTimeoutMs,
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.bodyTimeoutMs + options.headersTimeoutMs,
      // Node checks the two timeouts above only this often (default 30 s): without it a client that
      // never finishes its headers holds a connection for half a minute whatever the limit says.
      connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs),
      keepAliveTimeout: options.idleTimeoutMs,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        log.error('request failed', { error: (error as Error).message });
        send(res, 500, {
          errorCode: 'INTERNAL',
          message: "internal error; the receiver's log has the details",
        });
      });
    },
  );
  server.setTimeout(options.idleTimeoutMs);
  server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    log.warn('tls refused', { remote: socket.remoteAddress, reason: error.code ?? error.message });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const fingerprint = peer?.raw ? certificateFingerprint(peer.raw) : null;
    const remote = socket.remoteAddress;
    if (!socket.authorized || !fingerprint || !pinned.has(fingerprint)) {
      log.warn('client refused', { remote, fingerprint, reason: socket.authorizationError ?? 'not pinned' });
      res.setHeader('connection', 'close');
      send(res, 403, { errorCode: 'CLIENT_NOT_PINNED', message: 'client certificate not accepted' });
      req.destroy();
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/v1/health' && req.method === 'GET') {
      send(res, 200, { ok: true });
      return;
    }
    const match = ROUTE.exec(path);
    const certificateId = match?.[1];
    if (!certificateId) {
      send(res, 404, { errorCode: 'NOT_FOUND', message: 'no such resource' });
      return;
    }
    if (req.method === 'GET') {
      const installed = await options.receiver.installed(certificateId);
      if (!installed)
        send(res, 404, {
          errorCode: 'NOT_SERVED_HERE',
          message: `certificate ${certificateId} is not served here`,
        });
      else send(res, 200, installed);
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'GET, POST');
      send(res, 405, { errorCode: 'METHOD_NOT_ALLOWED', message: 'use GET or POST' });
      return;
    }
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      send(res, 415, { errorCode: 'UNSUPPORTED_MEDIA_TYPE', message: 'send application/json' });
      return;
    }
    const body = await readBody(req, options.maxBodyBytes, options.bodyTimeoutMs);
    if (body === 'too-large') {
      log.warn('push too large', { remote, certificateId, maxBodyBytes: options.maxBodyBytes });
      res.setHeader('connection', 'close');
      send(res, 413, {
        errorCode: 'PAYLOAD_TOO_LARGE',
        message: `the body exceeds ${options.maxBodyBytes} bytes`,
      });
      // Stop reading: the rest of an oversized body is never buffered.
      res.on('finish', () => req.destroy());
      return;
    }
    if (body === 'aborted') {
      // The client cut the connection mid-body: its fault, not ours; answered if it still listens.
      log.warn('push cut off', { remote, certificateId });
      res.setHeader('connection', 'close');
      send(res, 400, {
        errorCode: 'BODY_INCOMPLETE',
        message: 'the connection ended before the whole body arrived',
      });
      res.on('finish', () => req.destroy());
      return;
    }
    if (body === 'timeout') {
      res.setHeader('connection', 'close');
      send(res, 408, { errorCode: 'BODY_TIMEOUT', message: 'the body did not arrive in time' });
      res.on('finish', () => req.destroy());
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      send(res, 400, { errorCode: 'PAYLOAD_INVALID', message: 'the body is not JSON' });
      return;
    }
    const t0 = performance.now();
    const { httpStatus, answer } = await options.receiver.receive(certificateId, json);
    log.info('push answered', {
      remote,
      client: fingerprint.slice(0, 16),
      certificateId,
      revision: answer.revision,
      result: answer.result,
      httpStatus,
      ms: Math.round(performance.now() - t0),
    });
    send(res, httpStatus, answer);
  }

  const port = await listenOn(server, options.port, options.host);
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `https://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`,
    stop: () => {
      stopping ??= closeHttp(server);
      return stopping;
    },
  };
}

/**
 * The body, or why not: past the cap (the declared length is checked before reading), too slow, or
 * cut off by the client.
 */
function readBody(
  req: IncomingMessage,
  max: number,
  timeoutMs: number,
): Promise<Buffer | 'too-large' | 'timeout' | 'aborted'> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const finish = (result: Buffer | 'too-large' | 'timeout' | 'aborted') => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (Buffer.isBuffer(result) || result === 'aborted') resolve(result);
      else {
        req.pause();
        resolve(result);
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) finish('too-large');
      else chunks.push(chunk);
    };
    const onEnd = () => finish(Buffer.concat(chunks));
    const onError = () => finish('aborted');
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
