/**
 * DynamoDB for the embedded stack: dynalite, in this process, in memory (or on disk with `path`).
 * It lacks UpdateTimeToLive and TransactWriteItems; see docs/design/2026-11-28-storage-layout.md.
 */
import dynalite from 'dynalite';
import { closeHttp } from '../adapters/http/http-server.ts';
import { LocalStackError } from './local-stack-error.ts';
import { LOOPBACK, listenHttp } from './net.ts';

export interface LocalDynamoDbOptions {
  /** LevelDB directory that survives restarts; in memory when absent. */
  readonly path?: string;
}

export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly port: number;
  /** Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts dynalite on a free port of 127.0.0.1.
 * @throws LocalStackError when it cannot listen
 */
export async function startLocalDynamoDb(options: LocalDynamoDbOptions = {}): Promise<LocalDynamoDb> {
  // Tables become ACTIVE at once: real DynamoDB's CREATING phase only slows tests down.
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  let port: number;
  try {
    port = await listenHttp(server);
  } catch (error) {
    throw new LocalStackError('dynamodb', `cannot listen: ${(error as Error).message}`, { cause: error });
  }
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    port,
    stop: () => {
      stopping ??= closeHttp(server);
      return stopping;
    },
  };
}
