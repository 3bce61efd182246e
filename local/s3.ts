/**
 * S3 for the embedded stack: s3rver, in this process, storing objects in a directory of its own.
 * It has no versioning, ignores conditional PUTs and SSE headers, and stores aws-chunked uploads
 * corrupted unless the client disables the default checksums (see `localS3ClientConfig`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { LocalStackError } from './local-stack-error.ts';
import { LOOPBACK } from './net.ts';

/** s3rver checks signatures against this fixed key pair. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3Options {
  /** Directory for the objects; a temporary one (removed at stop) when absent. */
  readonly directory?: string;
}

export interface LocalS3 {
  readonly endpoint: string;
  readonly port: number;
  /** Idempotent; removes the temporary directory it created. */
  stop(): Promise<void>;
}

/**
 * Starts s3rver on a free port of 127.0.0.1.
 * @throws LocalStackError when it cannot listen
 */
export async function startLocalS3(options: LocalS3Options = {}): Promise<LocalS3> {
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'acme-ha-s3-')));
  const server = new S3rver({ address: LOOPBACK, port: 0, silent: true, directory });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    if (ownDirectory) await rm(directory, { recursive: true, force: true });
    throw new LocalStackError('s3', `cannot listen: ${(error as Error).message}`, { cause: error });
  }
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    port,
    stop: () => {
      stopping ??= (async () => {
        // Node ≥ 19 closes idle keep-alive sockets on close(); S3 calls are short-lived.
        await server.close();
        if (ownDirectory) await rm(directory, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
