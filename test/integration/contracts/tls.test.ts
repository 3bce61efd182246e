/**
 * The Reloader and Prober contracts (test/contract/) against a real server: the Java TLS server of
 * the agent's tests on a JKS written by KeystoreFileSink, reloaded by HttpReloader (`POST /reload`),
 * seen by TlsProber. One server for the file: each test installs its own certificates first.
 */
import { mkdir } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { KeystoreFileSink } from '../../../adapters/fs/keystore-file-sink.ts';
import { TlsProber } from '../../../adapters/probe/tls-prober.ts';
import { HttpReloader } from '../../../adapters/reload/http-reloader.ts';
import { type JavaTlsServer, startJavaTlsServer } from '../../../local/java-tls-server.ts';
import { freeTcpPort, LOOPBACK } from '../../../local/net.ts';
import { describeProberContract } from '../../contract/prober.contract.ts';
import { describeReloaderContract } from '../../contract/reloader.contract.ts';
import { aServerPki, jksOf } from '../../support/agent-keystores.ts';
import type { TestPki } from '../../support/pki.ts';
import { tempDir } from '../../support/temp-dir.ts';

const PASSWORD = 'changeit';
const SERVERNAME = 'app.acme-ha.test';
/** Long enough for a busy JVM's handshake; it is also what the never-answering server costs. */
const PROBE_TIMEOUT_MS = 1_500;

const sink = new KeystoreFileSink();
const prober = new TlsProber(PROBE_TIMEOUT_MS);
let keystore: string;
let java: JavaTlsServer;
let silent: { server: Server; sockets: Set<Socket>; port: number };
let refusedPort: number;

/** A TCP listener that accepts and never says a word: no handshake ever completes. */
async function startSilentServer(): Promise<typeof silent> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const address = server.address();
  return { server, sockets, port: typeof address === 'object' && address ? address.port : 0 };
}

beforeAll(async () => {
  const dir = join(await tempDir('acme-ha-contract-tls-'), 'tls');
  await mkdir(dir);
  keystore = join(dir, 'server.jks');
  await sink.write({ path: keystore, bytes: jksOf(await aServerPki(), PASSWORD), mode: 0o600 });
  [java, silent, refusedPort] = await Promise.all([
    startJavaTlsServer({ type: 'JKS', keystore, alias: 'server', password: PASSWORD }),
    startSilentServer(),
    freeTcpPort(),
  ]);
});

afterAll(async () => {
  for (const socket of silent?.sockets ?? []) socket.destroy();
  silent?.server.close();
  await java?.stop();
});

const endpoint = (port: number) => ({ host: LOOPBACK, port, servername: SERVERNAME });
const install = (pki: TestPki) => sink.write({ path: keystore, bytes: jksOf(pki, PASSWORD), mode: 0o600 });

describeReloaderContract('HttpReloader on the Java TLS server, seen by TlsProber', () => ({
  reloader: new HttpReloader(java.reloadUrl, 'POST', 10_000),
  install,
  installUnreadable: () => sink.write({ path: keystore, bytes: Buffer.from('not a keystore'), mode: 0o600 }),
  restore: () => sink.restore(keystore),
  served: () => prober.probe(endpoint(java.tlsPort)),
}));

describeProberContract('TlsProber', () => ({
  prober,
  serve: async (pki) => {
    await install(pki);
    await new HttpReloader(java.reloadUrl, 'POST', 10_000).reload();
    return endpoint(java.tlsPort);
  },
  refused: endpoint(refusedPort),
  silent: endpoint(silent.port),
}));
