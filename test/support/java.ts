import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { compileJavaSource } from '../../local/java-compile.ts';

const run = promisify(execFile);
const SOURCE = join(import.meta.dirname, 'java', 'KeystoreProbe.java');

/** Compiles KeystoreProbe.java once per source version (javac once beats `java File.java` per test). */
export function compileJavaProbe(): Promise<string> {
  return compileJavaSource(SOURCE);
}

export interface JavaKeystoreView {
  readonly aliases: string;
  readonly keyAlgorithm: string;
  readonly chainLength: number;
  readonly leafSha256: string;
}

export type JavaKeystoreType = 'JKS' | 'PKCS12';

function javaEnv(password: string): NodeJS.ProcessEnv {
  // Java decodes the environment with the locale: non-ASCII passwords need a UTF-8 one.
  return { ...process.env, KEYSTORE_PASSWORD: password, LC_ALL: 'C.UTF-8' };
}

/** Loads the keystore in Java and decrypts the key entry; rejects with Java's error text. */
export async function loadInJava(
  classes: string,
  type: JavaKeystoreType,
  file: string,
  alias: string,
  password: string,
): Promise<JavaKeystoreView> {
  const { stdout } = await run('java', ['-cp', classes, 'KeystoreProbe', 'load', type, file, alias], {
    env: javaEnv(password),
  });
  return JSON.parse(stdout.trim()) as JavaKeystoreView;
}

export interface JavaTlsServer {
  readonly port: number;
  readonly view: JavaKeystoreView;
  stop(): Promise<void>;
}

/** Serves TLS from the keystore with Java's own SSLServerSocket on 127.0.0.1. */
export async function serveInJava(
  classes: string,
  type: JavaKeystoreType,
  file: string,
  alias: string,
  password: string,
): Promise<JavaTlsServer> {
  const child: ChildProcessWithoutNullStreams = spawn(
    'java',
    ['-cp', classes, 'KeystoreProbe', 'serve', type, file, alias],
    { env: javaEnv(password) },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const read: string[] = [];
  for await (const line of lines) {
    read.push(line);
    if (read.length === 2) break;
  }
  const [viewLine, portLine] = read;
  if (!viewLine || !portLine) throw new Error(`Java TLS server did not start: ${stderr.trim()}`);
  return {
    view: JSON.parse(viewLine) as JavaKeystoreView,
    port: (JSON.parse(portLine) as { port: number }).port,
    stop: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
