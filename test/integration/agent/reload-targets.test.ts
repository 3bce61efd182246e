/**
 * The reload adapters against real servers: a Java TLS server on a JKS (HTTP reload), nginx on PEM
 * (`nginx -s reload` and SIGHUP), HAProxy through its runtime API; the TLS prober reads what each
 * serves, and openssl confirms it independently.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeHttp, listenOn } from '../../../adapters/http/http-server.ts';
import { TlsProber } from '../../../adapters/probe/tls-prober.ts';
import { CommandReloader } from '../../../adapters/reload/command-reloader.ts';
import { HaproxyRuntimeReloader } from '../../../adapters/reload/haproxy-runtime-reloader.ts';
import { HttpReloader } from '../../../adapters/reload/http-reloader.ts';
import { SignalReloader } from '../../../adapters/reload/signal-reloader.ts';
import { ReloadFailedError } from '../../../core/agent/agent-errors.ts';
import { startHaproxy } from '../../../local/haproxy-server.ts';
import { startJavaTlsServer } from '../../../local/java-tls-server.ts';
import { startNginx } from '../../../local/nginx-server.ts';
import { aServerPki, jksOf, serialOf, writePemFiles } from '../../support/agent-keystores.ts';
import { opensslHandshake } from '../../support/openssl.ts';
import { tempDir } from '../../support/temp-dir.ts';

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

const prober = new TlsProber(5_000);
const probe = (port: number) => prober.probe({ host: '127.0.0.1', port, servername: 'app.acme-ha.test' });

async function caFile(dir: string, pem: string): Promise<string> {
  const file = join(dir, 'root.pem');
  await writeFile(file, pem);
  return file;
}

describe('reload targets', () => {
  it('Java server on JKS: HTTP reload serves the new entry; a broken keystore keeps the old one', async () => {
    const dir = await tempDir();
    const [first, second] = await Promise.all([aServerPki(), aServerPki()]);
    const keystore = join(dir, 'server.jks');
    await writeFile(keystore, jksOf(first, 'changeit'));
    const server = await startJavaTlsServer({ type: 'JKS', keystore, alias: 'server', password: 'changeit' });
    stops.push(server.stop);
    expect((await probe(server.tlsPort)).serial).toBe(serialOf(first));

    await writeFile(keystore, jksOf(second, 'changeit'));
    await new HttpReloader(server.reloadUrl, 'POST', 10_000).reload();
    expect((await probe(server.tlsPort)).serial).toBe(serialOf(second));
    const handshake = await opensslHandshake({
      port: server.tlsPort,
      servername: 'app.acme-ha.test',
      caFile: await caFile(dir, second.root.toString()),
    });
    expect(handshake.verified).toBe(true);

    await writeFile(keystore, jksOf(first, 'wrong-password'));
    await expect(new HttpReloader(server.reloadUrl, 'POST', 10_000).reload()).rejects.toThrow(/HTTP 500/);
    expect((await probe(server.tlsPort)).serial).toBe(serialOf(second));
  });

  it('nginx on PEM: `nginx -s reload` and SIGHUP to its pid file serve the new certificate', async () => {
    const dir = await tempDir();
    const [first, second, third] = await Promise.all([aServerPki(), aServerPki(), aServerPki()]);
    await writePemFiles(dir, first);
    const nginx = await startNginx({
      directory: join(dir, 'nginx'),
      certificateFile: join(dir, 'fullchain.pem'),
      keyFile: join(dir, 'privkey.pem'),
    });
    stops.push(nginx.stop);
    expect((await probe(nginx.port)).serial).toBe(serialOf(first));

    await writePemFiles(dir, second);
    await new CommandReloader(nginx.reloadCommand, 10_000).reload();
    await expect
      .poll(async () => (await probe(nginx.port)).serial, { timeout: 5_000 })
      .toBe(serialOf(second));

    await writePemFiles(dir, third);
    await new SignalReloader('SIGHUP', nginx.pidFile).reload();
    await expect.poll(async () => (await probe(nginx.port)).serial, { timeout: 5_000 }).toBe(serialOf(third));
  });

  it('HAProxy: set ssl cert + commit ssl cert over the runtime API, no restart', async () => {
    const dir = await tempDir();
    const [first, second] = await Promise.all([aServerPki(), aServerPki()]);
    await writePemFiles(dir, first);
    const haproxy = await startHaproxy({
      directory: join(dir, 'haproxy'),
      combinedPemFile: join(dir, 'combined.pem'),
    });
    stops.push(haproxy.stop);
    expect((await probe(haproxy.port)).serial).toBe(serialOf(first));

    await writePemFiles(dir, second);
    const reloader = new HaproxyRuntimeReloader(
      haproxy.adminSocket,
      haproxy.certificateName,
      join(dir, 'combined.pem'),
      5_000,
    );
    await reloader.reload();
    expect((await probe(haproxy.port)).serial).toBe(serialOf(second));
    const handshake = await opensslHandshake({
      port: haproxy.port,
      servername: 'app.acme-ha.test',
      caFile: await caFile(dir, second.root.toString()),
    });
    expect(handshake.verified).toBe(true);

    const wrongName = new HaproxyRuntimeReloader(
      haproxy.adminSocket,
      '/no/such.pem',
      join(dir, 'combined.pem'),
      5_000,
    );
    await expect(wrongName.reload()).rejects.toBeInstanceOf(ReloadFailedError);
  });

  it('a command that fails or hangs is a ReloadFailedError within its timeout', async () => {
    await expect(new CommandReloader(['false'], 5_000).reload()).rejects.toThrow(/exit 1/);
    const t0 = performance.now();
    await expect(new CommandReloader('sleep 5', 200).reload()).rejects.toThrow(/timed out after 200 ms/);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('an HTTP endpoint that refuses, errs or hangs is a ReloadFailedError; the token stays out of it', async () => {
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/hang')) return; // never answers
      if (req.url?.startsWith('/busy')) return void res.writeHead(503).end(`busy ${'x'.repeat(1000)}`);
      res.writeHead(204).end();
    });
    const port = await listenOn(server, 0, '127.0.0.1');
    stops.push(() => closeHttp(server));
    const base = `http://127.0.0.1:${port}`;
    await new HttpReloader(`${base}/reload?token=secret`, 'POST', 5_000).reload();

    const busy = new HttpReloader(`${base}/busy?token=secret`, 'PUT', 5_000);
    expect(busy.description).toBe(`http PUT ${base}/busy`);
    const error = await busy.reload().catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(ReloadFailedError);
    expect((error as Error).message).toMatch(new RegExp(`^http PUT ${base}/busy: HTTP 503: busy x{295}$`));

    const t0 = performance.now();
    await expect(new HttpReloader(`${base}/hang`, 'POST', 200).reload()).rejects.toThrow(
      /timed out after 200 ms/,
    );
    expect(performance.now() - t0).toBeLessThan(2_000);

    await expect(new HttpReloader('http://127.0.0.1:1/reload', 'POST', 5_000).reload()).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
