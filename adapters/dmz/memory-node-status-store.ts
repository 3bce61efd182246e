import type { NodeStatus, NodeStatusStore } from '../../core/ports/node-status-store.ts';

/**
 * The DMZ receiver's own status records, kept in memory: it has no status table (no cloud access);
 * its pushers record what it answered in theirs. Lost on restart, which is harmless: the installed
 * revision, the part that matters, is on disk.
 */
export class MemoryNodeStatusStore implements NodeStatusStore {
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
