/**
 * A TCP pass-through on 127.0.0.1 in front of one server (an emulator, a CA), for outage tests. When
 * switched off it also cuts the connections already open (the AWS SDK keeps sockets alive, so
 * refusing only new connections would leave the service reachable), and it can black-hole: accept
 * and never answer, which is what a server timing out looks like to a client.
 */
import { connect, createServer, type Socket } from 'node:net';

export type ProxyMode = 'on' | 'refuse' | 'blackhole';

export interface FaultProxy {
  readonly port: number;
  readonly url: string;
  /** Connections accepted since start (each one a client attempt). */
  readonly connections: number;
  setMode(mode: ProxyMode): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  let mode: ProxyMode = 'on';
  let connections = 0;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    connections++;
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'blackhole') return; // read nothing, answer nothing
    const upstream = connect(Number(target.port), target.hostname);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    get connections() {
      return connections;
    },
    setMode: (next) => {
      mode = next;
      // Cut what is open: a kept-alive socket must not outlive the outage.
      if (next !== 'on') for (const socket of open) socket.destroy();
    },
    stop: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
