/**
 * Issue 21 at the DMZ: two DMZ instances behind one public load balancer (a real HAProxy, TLS
 * passed through), each a receiver in front of a TLS server whose reload is a restart, drained
 * around it. An internal agent pushes a new revision to both while clients make fresh, verified TLS
 * requests through the balancer. The pusher takes the certificate's DMZ slot for each push, so the
 * two instances restart one after the other and no request fails; were they pushed at once, both
 * would be out of rotation together and every client would fail.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { syncOnce } from '../../../core/agent/agent-loop.ts';
import { startHaproxyBalancer } from '../../../local/haproxy-server.ts';
import { freeTcpPort } from '../../../local/net.ts';
import { serveRestarts } from '../../../local/restarting-java-server.ts';
import { trafficAround } from '../../../local/tls-traffic.ts';
import { agentConfigFor, createTestAgent } from '../../support/agent-fleet.ts';
import { aServerPki, serialOf, writePemFiles } from '../../support/agent-keystores.ts';
import { publishRevision, stackStores } from '../../support/agent-revisions.ts';
import {
  aClientIdentity,
  aReceiverIdentity,
  dmzConfigFor,
  dmzPeerFor,
  receiverIdentityOf,
  startTestDmz,
} from '../../support/dmz-receivers.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { opensslHandshake } from '../../support/openssl.ts';
import { pemOf } from '../../support/pki.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { RestartingServer, SERVED_NAME } from '../../support/zero-downtime.ts';

const CERT = 'public';
const INSTANCES = ['dmz-1', 'dmz-2'];
const stack = useLocalStack({ nodes: ['gateway'], prefix: 'dmz-drain', pebble: false });
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('a push to two DMZ instances behind one load balancer, clients connecting throughout', () => {
  it('restarts them one after the other, each drained: no request fails', async () => {
    const s = stack();
    const clients = createAwsClients(s.clientConfigs);
    cleanups.push(async () => clients.destroy());
    const stores = stackStores(s, clients);
    const base = await tempDir('acme-ha-dmz-drain-');
    const initial = await aServerPki({ sans: [SERVED_NAME] });
    const second = await aServerPki({ sans: [SERVED_NAME] });
    const ca = [pemOf([initial.root]), pemOf([second.root])];
    const caFile = join(base, 'ca.pem');
    await writeFile(caFile, ca.join(''));
    const client = await aClientIdentity(base, 'gateway');

    const servers = await Promise.all(
      INSTANCES.map(async (id) => {
        const dir = join(base, id, 'tls');
        await mkdir(dir, { recursive: true });
        await writePemFiles(dir, initial);
        const server = new RestartingServer(dir, await freeTcpPort());
        await server.start();
        cleanups.push(() => server.stop());
        const restarts = await serveRestarts(server);
        cleanups.push(restarts.stop);
        return { id, dir, server, restartUrl: restarts.url };
      }),
    );
    const balancer = await startHaproxyBalancer({
      directory: join(base, 'balancer'),
      servers: servers.map((x) => ({ name: x.id, port: x.server.port })),
    });
    cleanups.push(() => balancer.stop());
    const receivers = await Promise.all(
      servers.map(async (x) => {
        const config = dmzConfigFor({
          id: x.id,
          stateDirectory: join(base, x.id, 'state'),
          receiver: await aReceiverIdentity(join(base, x.id), `receiver-${x.id}`),
          trusted: [client],
          pinned: [client],
          targets: [
            {
              certificateId: CERT,
              format: 'pem',
              path: x.dir,
              reload: { http: { url: x.restartUrl, method: 'POST' }, timeoutSeconds: 10 },
              probe: [{ port: x.server.port, sni: SERVED_NAME }],
              drain: {
                haproxy: { socket: balancer.adminSocket, backend: balancer.backend, server: x.id },
                timeoutSeconds: 10,
                settleSeconds: 1,
              },
            },
          ],
        });
        const runtime = await startTestDmz(config);
        cleanups.push(runtime.stop);
        return { config, runtime };
      }),
    );
    // The internal node installs the certificate itself (PEM files, no server) and pushes it on.
    const own = join(base, 'gateway', 'pem');
    await mkdir(own, { recursive: true });
    const gateway = await createTestAgent(s, {
      ...agentConfigFor(s, 'gateway', join(base, 'gateway', 'state'), [
        { certificateId: CERT, format: 'pem', path: own },
      ]),
      dmz: receivers.map(({ config, runtime }) =>
        dmzPeerFor({
          id: config.id,
          port: runtime.receiver.port,
          receiver: receiverIdentityOf(config),
          client,
          certificates: [CERT],
        }),
      ),
    });
    cleanups.push(async () => gateway.close());

    // Revision 1 everywhere first (the PEM files are rewritten in the revision's form: one restart).
    await publishRevision(stores, CERT, initial);
    const first = await syncOnce(gateway.deps, gateway.options);
    expect(first.dmz?.map((r) => r.result)).toEqual(['pushed', 'pushed']);
    const restartsBefore = servers.map((x) => x.server.restarts);

    const {
      steady,
      during,
      result: pushed,
    } = await trafficAround(
      { port: balancer.port, servername: SERVED_NAME, ca, clients: 8, steadyMs: 1_000, afterMs: 500 },
      async () => {
        await publishRevision(stores, CERT, second);
        return syncOnce(gateway.deps, gateway.options);
      },
    );
    console.log(
      `[dmz-drain] steady ${steady.ok} ok, during ${during.ok} ok, failures ${JSON.stringify(during.failures)}`,
    );
    expect(pushed.dmz?.map((r) => [r.dmzId, r.result, r.answer?.result])).toEqual([
      ['dmz-1', 'pushed', 'applied'],
      ['dmz-2', 'pushed', 'applied'],
    ]);
    expect(servers.map((x, i) => x.server.restarts - (restartsBefore[i] ?? 0))).toEqual([1, 1]);
    expect([steady.failures, during.failures]).toEqual([{}, {}]);
    expect(during.ok).toBeGreaterThan(50);
    for (const x of servers) {
      const handshake = await opensslHandshake({ port: x.server.port, servername: SERVED_NAME, caFile });
      expect(handshake.served[0]?.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''), x.id).toBe(
        serialOf(second),
      );
    }
  }, 120_000);
});
