import type { NodeStatus, NodeStatusStore } from '../../core/ports/node-status-store.ts';

/**
 * Node reports in memory: the DMZ receiver's own records (it has no status table) and the tests'.
 * One record per certificate and node, as in the table; nothing else is kept.
 */
export class InMemoryNodeStatusStore implements NodeStatusStore {
  private readonly items = new Map<string, NodeStatus>();

  async put(status: NodeStatus): Promise<void> {
    this.items.set(`${status.certificateId}\u0000${status.nodeId}`, status);
  }

  async get(certificateId: string, nodeId: string): Promise<NodeStatus | null> {
    return this.items.get(`${certificateId}\u0000${nodeId}`) ?? null;
  }

  async list(certificateId: string): Promise<NodeStatus[]> {
    return [...this.items.values()]
      .filter((s) => s.certificateId === certificateId)
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }
}
