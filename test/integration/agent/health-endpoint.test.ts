/**
 * The health endpoint a drained target's agent serves, on real sockets: what a load balancer's
 * health check sees while the node is in rotation, drained, or its server's port is closed.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthEndpoints } from '../../../adapters/reload/health-endpoint.ts';
import { ListenError } from '../../../core/errors.ts';
import { freeTcpPort, LOOPBACK } from '../../../local/net.ts';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

/** A TCP server standing for the node's TLS server. */
async function aServer(): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  opened.push({ close: () => new Promise((resolve) => server.close(() => resolve())) });
  return { port, server };
}

async function check(port: number, method = 'GET'): Promise<[number, string]> {
  const res = await fetch(`http://${LOOPBACK}:${port}/any/path`, { method });
  return [res.status, await res.text()];
}

describe('the drain health endpoint', () => {
  it('answers 200 in rotation, 503 from drain to ready, and 503 while the server port is closed', async () => {
    const tls = await aServer();
    const health = new HealthEndpoints();
    opened.push(health);
    const address = { host: LOOPBACK, port: await freeTcpPort() };
    const drainer = health.drainer(address, [{ host: LOOPBACK, port: tls.port }]);
    await health.listen();
    expect(drainer.description).toBe(
      `health endpoint http://${LOOPBACK}:${address.port}/ (503 while draining)`,
    );
    expect(await check(address.port)).toEqual([200, 'ready\n']);
    expect(await check(address.port, 'HEAD')).toEqual([200, '']);
    await drainer.drain();
    expect(await check(address.port)).toEqual([503, 'draining\n']);
    expect(await drainer.activeConnections()).toBeNull();
    await drainer.ready();
    expect(await check(address.port)).toEqual([200, 'ready\n']);
    await new Promise((resolve) => tls.server.close(resolve));
    expect(await check(address.port)).toEqual([503, `${LOOPBACK}:${tls.port} does not accept connections\n`]);
  });

  it('is one server for targets that share it, draining while any of their drains is under way', async () => {
    const health = new HealthEndpoints();
    opened.push(health);
    const address = { host: LOOPBACK, port: await freeTcpPort() };
    const first = health.drainer(address, []);
    const second = health.drainer(address, []);
    await health.listen();
    await first.drain();
    await second.drain();
    await first.ready();
    expect((await check(address.port))[0]).toBe(503);
    await second.ready();
    expect((await check(address.port))[0]).toBe(200);
  });

  it('names the address when it cannot listen', async () => {
    const busy = await aServer();
    const health = new HealthEndpoints();
    opened.push(health);
    health.drainer({ host: LOOPBACK, port: busy.port }, []);
    const error = await health.listen().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ListenError);
    expect((error as Error).message).toBe(`cannot listen on ${LOOPBACK}:${busy.port}: EADDRINUSE`);
  });
});
