import { connect, createServer, type Socket } from 'node:net';

export interface SwitchableProxy {
  readonly port: number;
  /** While off, every connection is reset at once: the service behind looks down. */
  setOn(on: boolean): void;
  stop(): Promise<void>;
}

/** A TCP pass-through on 127.0.0.1 that a test can switch off, to make a server look down and back up. */
export async function startSwitchableProxy(targetPort: number): Promise<SwitchableProxy> {
  let on = true;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (!on) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    setOn: (value) => {
      on = value;
    },
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
