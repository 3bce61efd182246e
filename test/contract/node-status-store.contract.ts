import { describe, expect, it } from 'vitest';
import type { NodeStatus, NodeStatusStore } from '../../core/ports/node-status-store.ts';
import { uniqueName } from './unique-name.ts';

export interface NodeStatusStoreSubject {
  readonly store: NodeStatusStore;
}

function aNodeStatus(certificateId: string, nodeId: string, overrides: Partial<NodeStatus> = {}): NodeStatus {
  return {
    certificateId,
    nodeId,
    revisionOnDisk: 3,
    revisionServed: 3,
    servedSerial: '0abc',
    targetRevision: 3,
    result: 'applied',
    errorCode: null,
    error: null,
    updatedAt: '2031-06-01T08:00:02.000Z',
    failingSince: null,
    reloadStartedAt: '2031-06-01T08:00:00.000Z',
    reloadFinishedAt: '2031-06-01T08:00:01.000Z',
    ...overrides,
  };
}

/** The promises of core/ports/node-status-store.ts. */
export function describeNodeStatusStoreContract(
  name: string,
  make: () => NodeStatusStoreSubject | Promise<NodeStatusStoreSubject>,
): void {
  describe(`NodeStatusStore contract: ${name}`, () => {
    it('has no report of a node that never put one', async () => {
      const { store } = await make();

      expect(await store.get(uniqueName('cert'), 'web-a')).toBeNull();
    });

    it('returns the report a node put', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      const status = aNodeStatus(id, 'web-a', {
        revisionServed: null,
        servedSerial: null,
        result: 'failed',
        errorCode: 'OBJECT_MISSING',
        error: 'no object at certificates/app/000003/app.jks',
        failingSince: '2031-06-01T07:00:00.000Z',
      });

      await store.put(status);

      expect(await store.get(id, 'web-a')).toEqual(status);
    });

    it("keeps one report per node: a put overwrites the node's last one", async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.put(aNodeStatus(id, 'web-a', { result: 'reloading' }));
      const applied = aNodeStatus(id, 'web-a', { revisionOnDisk: 4, revisionServed: 4, targetRevision: 4 });

      await store.put(applied);

      expect(await store.get(id, 'web-a')).toEqual(applied);
      expect(await store.list(id)).toEqual([applied]);
    });

    it("lists every node's report of a certificate, in node id order, and no other certificate's", async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      for (const node of ['web-c', 'web-a', 'web-b']) await store.put(aNodeStatus(id, node));
      await store.put(aNodeStatus(`${id}-2`, 'web-0'));

      const listed = await store.list(id);

      expect(listed).toEqual(['web-a', 'web-b', 'web-c'].map((node) => aNodeStatus(id, node)));
    });

    it('lists nothing for a certificate without reports', async () => {
      const { store } = await make();

      expect(await store.list(uniqueName('cert'))).toEqual([]);
    });

    it("keeps one heartbeat per node, the last one, apart from the node's reports", async () => {
      const { store } = await make();
      const [a, b, never] = [uniqueName('node'), uniqueName('node'), uniqueName('node')];
      const id = uniqueName('cert');
      await store.put(aNodeStatus(id, a));
      await store.beat(a, new Date('2031-06-01T08:00:00.000Z'));
      await store.beat(a, new Date('2031-06-01T08:15:00.000Z'));
      await store.beat(b, new Date('2031-06-01T08:05:00.000Z'));

      expect(await store.heartbeats([a, b, never, a])).toEqual(
        new Map([
          [a, '2031-06-01T08:15:00.000Z'],
          [b, '2031-06-01T08:05:00.000Z'],
        ]),
      );
      expect(await store.heartbeats([])).toEqual(new Map());
      expect(await store.list(id)).toEqual([aNodeStatus(id, a)]);
    });

    it('reads the heartbeats of more nodes than one batch holds (150)', async () => {
      const { store } = await make();
      const nodes = Array.from({ length: 150 }, () => uniqueName('node'));
      const at = new Date('2031-06-01T09:00:00.000Z');
      await Promise.all(nodes.map((node) => store.beat(node, at)));

      const beats = await store.heartbeats(nodes);

      expect(beats.size).toBe(150);
      expect([...new Set(beats.values())]).toEqual([at.toISOString()]);
    });
  });
}
