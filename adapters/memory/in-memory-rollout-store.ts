import {
  newRollout,
  type Rollout,
  type RolloutJoin,
  type RolloutStore,
} from '../../core/ports/rollout-store.ts';

/**
 * Rollout records with the same conditions as DynamoRolloutStore. Each change reads and writes
 * without an `await` in between: the check and the write are one step, like a conditional write.
 */
export class InMemoryRolloutStore implements RolloutStore {
  readonly records = new Map<string, Rollout>();

  async join(request: RolloutJoin): Promise<Rollout> {
    const key = `${request.certificateId}/${request.revision}`;
    const existing = this.records.get(key);
    if (existing) return existing;
    const record = newRollout(request);
    this.records.set(key, record);
    return record;
  }

  async get(certificateId: string, revision: number): Promise<Rollout | null> {
    return this.recordOf(certificateId, revision);
  }

  async promote(certificateId: string, revision: number, nodeId: string, now: Date): Promise<Rollout | null> {
    const record = this.recordOf(certificateId, revision);
    if (record?.state !== 'canary' || record.canary !== nodeId) return record;
    return this.set({ ...record, state: 'rolling', updatedAt: now.toISOString() });
  }

  async halt(
    certificateId: string,
    revision: number,
    nodeId: string,
    reason: string,
    now: Date,
  ): Promise<Rollout | null> {
    const record = this.recordOf(certificateId, revision);
    if (!record || record.state === 'halted') return record;
    return this.set({ ...record, state: 'halted', haltedBy: nodeId, reason, updatedAt: now.toISOString() });
  }

  async takeOver(request: RolloutJoin): Promise<Rollout | null> {
    const record = this.recordOf(request.certificateId, request.revision);
    if (record?.state !== 'canary' || new Date(record.canaryDeadline) >= request.now) return null;
    return this.set({
      ...record,
      canary: request.nodeId,
      canaryDeadline: request.canaryDeadline.toISOString(),
      updatedAt: request.now.toISOString(),
    });
  }

  private recordOf(certificateId: string, revision: number): Rollout | null {
    return this.records.get(`${certificateId}/${revision}`) ?? null;
  }

  private set(record: Rollout): Rollout {
    this.records.set(`${record.certificateId}/${record.revision}`, record);
    return record;
  }
}
