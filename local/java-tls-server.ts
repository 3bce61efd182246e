/**
 * A real Java TLS server on a keystore (JKS or PKCS#12, loaded through java.security.KeyStore)
 * that reloads its key entry on `POST /reload` — the stand-in for a Java file-transfer server in
 * the agent's tests and the demo. Compiled once per source version into a cache directory.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { compileJavaSource } from './java-compile.ts';
import { LocalStackError } from './local-stack-error.ts';
import { LOOPBACK } from './net.ts';

const SOURCE = join(import.meta.dirname, 'java', 'ReloadableTlsServer.java');
const CLASS = 'ReloadableTlsServer';

/** Compiles the server once per source version; returns the class path. */
export function compileReloadableTlsServer(): Promise<string> {
  return compileJavaSource(SOURCE);
}

export interface JavaTlsServerOptions {
  readonly type: 'JKS' | 'PKCS12';
  readonly keystore: string;
  readonly alias: string;
  readonly password: string;
  /** Answer reloads with 200 but keep the old certificate (a server that does not really reload). */
  readonly ignoreReloads?: boolean;
  /** The TLS port, for a restart that comes back where it was. @default a free port */
  readonly tlsPort?: number;
  /**
   * Read an HTTP/1.0 request and answer `200 ok` (for clients that speak first); otherwise the
   * server writes `ok` right after the handshake.
   */
  readonly http?: boolean;
}

export interface JavaTlsServer {
  readonly pid: number;
  readonly tlsPort: number;
  readonly controlPort: number;
  /** POST here to reload the keystore file. */
  readonly reloadUrl: string;
  /** Serial of the leaf served at start (lower-case hex). */
  readonly initialSerial: string;
  /** Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 (free ports).
 * @throws LocalStackError when Java cannot load the keystore or does not start
 */
export async function startJavaTlsServer(options: JavaTlsServerOptions): Promise<JavaTlsServer> {
  const classes = await compileReloadableTlsServer();
  const args = [
    '-Xshare:auto',
    '-XX:TieredStopAtLevel=1',
    '-cp',
    classes,
    CLASS,
    options.type,
    options.keystore,
    options.alias,
  ];
  if (options.ignoreReloads) args.push('--ignore-reloads');
  if (options.http) args.push('--http');
  const child: ChildProcessWithoutNullStreams = spawn('java', args, {
    // Java decodes the environment with the locale: UTF-8 for non-ASCII passwords.
    env: {
      ...process.env,
      KEYSTORE_PASSWORD: options.password,
      LC_ALL: 'C.UTF-8',
      ...(options.tlsPort ? { TLS_PORT: String(options.tlsPort) } : {}),
    },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  let first: string | undefined;
  for await (const line of lines) {
    first = line;
    break;
  }
  if (!first || child.pid === undefined) {
    child.kill('SIGKILL');
    throw new LocalStackError(
      'java',
      `the Java TLS server did not start: ${stderr.trim().split('\n')[0] ?? ''}`,
    );
  }
  const started = JSON.parse(first) as { tlsPort: number; controlPort: number; serial: string };
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid,
    tlsPort: started.tlsPort,
    controlPort: started.controlPort,
    reloadUrl: `http://${LOOPBACK}:${started.controlPort}/reload`,
    initialSerial: started.serial.replace(/^0+(?=.)/, ''),
    stop: () => {
      stopping ??= (async () => {
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
