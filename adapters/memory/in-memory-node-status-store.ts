import type { NodeStatus, NodeStatusStore } from '../../core/ports/node-status-store.ts';

/**
 * Node reports in memory: the DMZ receiver's own records (it has no status table) and the tests'.
 * One record per certificate and node, and one heartbeat per node, as in the table.
 */
export class InMemoryNodeStatusStore implements NodeStatusStore {
  private readonly items = new Map<string, NodeStatus>();
  private readonly beats = new Map<string, string>();

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

  async beat(nodeId: string, at: Date): Promise<void> {
    this.beats.set(nodeId, at.toISOString());
  }

  async heartbeats(nodeIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    return new Map(nodeIds.flatMap((id) => (this.beats.has(id) ? [[id, this.beats.get(id) ?? '']] : [])));
  }
}
