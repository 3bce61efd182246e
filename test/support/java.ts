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

/** The store password alone (it protects the key entry too), or the key entry's own beside it. */
export type JavaPasswords = string | { readonly store: string; readonly key: string };

function javaEnv(password: JavaPasswords): NodeJS.ProcessEnv {
  const { store, key } = typeof password === 'string' ? { store: password, key: undefined } : password;
  // Java decodes the environment with the locale: non-ASCII passwords need a UTF-8 one. An undefined
  // KEY_PASSWORD is left out of the child's environment (the probe then uses the store password).
  return { ...process.env, KEYSTORE_PASSWORD: store, KEY_PASSWORD: key, LC_ALL: 'C.UTF-8' };
}

/**
 * Loads the keystore in Java (`KeyStore.load` with the store password) and decrypts the key entry
 * (`getKey` with the key password); rejects with Java's error text.
 */
export async function loadInJava(
  classes: string,
  type: JavaKeystoreType,
  file: string,
  alias: string,
  password: JavaPasswords,
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

/** Serves TLS from the keystore with Java's own SSLServerSocket on 127.0.0.1 (key manager: the key password). */
export async function serveInJava(
  classes: string,
  type: JavaKeystoreType,
  file: string,
  alias: string,
  password: JavaPasswords,
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
