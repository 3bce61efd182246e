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
  });
}
