/**
 * Cluster-wide rolling: five agents in front of five real nginx servers sync the same revision at
 * the same moment with rollout.maxParallel 1. The DynamoDB slot leases let one node at a time
 * reload; the reload windows written to the node status records never overlap, and the canary
 * (the first to join) goes first.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { DynamoRolloutStore } from '../../../adapters/aws/dynamo-rollout-store.ts';
import { syncOnce } from '../../../core/agent/agent-loop.ts';
import { startNginx } from '../../../local/nginx-server.ts';
import { agentConfigFor, createTestAgent, nodeStatuses } from '../../support/agent-fleet.ts';
import { aServerPki, serialOf, writePemFiles } from '../../support/agent-keystores.ts';
import { publishRevision, stackStores } from '../../support/agent-revisions.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { opensslHandshake } from '../../support/openssl.ts';
import { tempDir } from '../../support/temp-dir.ts';

const CERT = 'rolling';
const NAME = 'app.acme-ha.test';
const NODES = ['r1', 'r2', 'r3', 'r4', 'r5'];
const stack = useLocalStack({ nodes: NODES, prefix: 'agent-rolling', pebble: false });
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

describe('rolling reload with rollout.maxParallel 1', () => {
  it('five nodes: reload windows never overlap, the canary goes first, all serve the revision', async () => {
    const base = await tempDir('acme-ha-rolling-');
    const bootstrap = await aServerPki({ sans: [NAME] });
    const runtimes = [];
    const ports: number[] = [];
    for (const id of NODES) {
      const dir = join(base, id);
      await mkdir(dir, { recursive: true });
      await writePemFiles(dir, bootstrap);
      const nginx = await startNginx({
        directory: join(dir, 'nginx'),
        certificateFile: join(dir, 'fullchain.pem'),
        keyFile: join(dir, 'privkey.pem'),
      });
      stops.push(nginx.stop);
      ports.push(nginx.port);
      const config = agentConfigFor(
        stack(),
        id,
        join(dir, 'state'),
        [
          {
            certificateId: CERT,
            format: 'pem',
            path: dir,
            files: ['fullchain.pem', 'privkey.pem'],
            reload: { command: [...nginx.reloadCommand], timeoutSeconds: 10 },
            probe: [{ port: nginx.port, sni: NAME }],
          },
        ],
        { maxParallel: 1 },
      );
      runtimes.push(await createTestAgent(stack(), config));
    }
    const clients = createAwsClients(stack().clientConfigs);
    const pki = await aServerPki({ sans: [NAME] });
    try {
      await publishRevision(stackStores(stack(), clients), CERT, pki);
      const t0 = performance.now();
      const results = await Promise.all(runtimes.map((r) => syncOnce(r.deps, r.options)));
      const elapsed = performance.now() - t0;
      expect(results.flatMap((r) => r.outcomes.map((o) => o.result))).toEqual(Array(5).fill('applied'));

      const statuses = await nodeStatuses(stack(), CERT);
      const windows = statuses
        .map((s) => ({
          node: s.nodeId,
          start: Date.parse(s.reloadStartedAt ?? ''),
          end: Date.parse(s.reloadFinishedAt ?? ''),
        }))
        .sort((a, b) => a.start - b.start);
      expect(windows).toHaveLength(5);
      for (const w of windows) expect(w.end).toBeGreaterThanOrEqual(w.start);
      for (let i = 1; i < windows.length; i++) {
        const [previous, current] = [windows[i - 1], windows[i]];
        if (!previous || !current) throw new Error('missing window');
        expect(
          current.start,
          `${current.node} started before ${previous.node} finished`,
        ).toBeGreaterThanOrEqual(previous.end);
      }
      const rollout = await new DynamoRolloutStore(clients.documents, stack().resources.tableName).get(
        CERT,
        1,
      );
      // Every node that joined serves it (no declared nodes here): complete.
      expect(rollout).toMatchObject({ state: 'complete', maxParallel: 1, done: NODES });
      expect(windows[0]?.node).toBe(rollout?.canary);
      console.log(
        `[rolling] 5 nodes in ${Math.round(elapsed)} ms; windows (ms): ${windows.map((w) => w.end - w.start).join(', ')}`,
      );

      const rootFile = join(base, 'root.pem');
      await writeFile(rootFile, pki.root.toString());
      for (const port of ports) {
        const handshake = await opensslHandshake({ port, servername: NAME, caFile: rootFile });
        expect(handshake.verified).toBe(true);
        expect(handshake.served[0]?.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '')).toBe(
          serialOf(pki),
        );
      }
    } finally {
      clients.destroy();
      for (const r of runtimes) r.close();
    }
  });
});
