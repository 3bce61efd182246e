import type { NodeStatus, NodeStatusStore } from '../../core/ports/node-status-store.ts';

/** Node reports in memory; `history` keeps every write for assertions about transitions. */
export class InMemoryNodeStatusStore implements NodeStatusStore {
  readonly items = new Map<string, NodeStatus>();
  readonly history: NodeStatus[] = [];

  async put(status: NodeStatus): Promise<void> {
    this.items.set(`${status.certificateId}/${status.nodeId}`, status);
    this.history.push(status);
  }

  async get(certificateId: string, nodeId: string): Promise<NodeStatus | null> {
    return this.items.get(`${certificateId}/${nodeId}`) ?? null;
  }

  async list(certificateId: string): Promise<NodeStatus[]> {
    return [...this.items.values()]
      .filter((s) => s.certificateId === certificateId)
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }
}
