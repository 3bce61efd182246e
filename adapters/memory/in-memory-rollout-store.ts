import type { RolloutSteering } from '../../core/ports/rollout-steering.ts';
import {
  newRollout,
  type Rollout,
  type RolloutJoin,
  type RolloutStore,
} from '../../core/ports/rollout-store.ts';
import {
  afterHalt,
  afterJoin,
  afterPause,
  afterPromote,
  afterResume,
  afterServed,
  afterTakeOver,
} from '../../core/ports/rollout-transitions.ts';

/**
 * Rollout records with the same rules as DynamoRolloutStore: the transitions of
 * core/ports/rollout-transitions.ts, applied as they are. Each change reads and writes without an
 * `await` in between: the check and the write are one step, like a conditional write.
 */
export class InMemoryRolloutStore implements RolloutStore, RolloutSteering {
  readonly records = new Map<string, Rollout>();

  async join(request: RolloutJoin): Promise<Rollout> {
    const existing = this.recordOf(request.certificateId, request.revision);
    return this.set(existing ? afterJoin(existing, request) : newRollout(request));
  }

  async get(certificateId: string, revision: number): Promise<Rollout | null> {
    return this.recordOf(certificateId, revision);
  }

  async promote(certificateId: string, revision: number, nodeId: string, now: Date): Promise<Rollout | null> {
    return this.change(certificateId, revision, (r) => afterPromote(r, nodeId, now));
  }

  async served(certificateId: string, revision: number, nodeId: string, now: Date): Promise<Rollout | null> {
    return this.change(certificateId, revision, (r) => afterServed(r, nodeId, now));
  }

  async halt(
    certificateId: string,
    revision: number,
    nodeId: string,
    reason: string,
    now: Date,
  ): Promise<Rollout | null> {
    return this.change(certificateId, revision, (r) => afterHalt(r, nodeId, reason, now));
  }

  async takeOver(request: RolloutJoin): Promise<Rollout | null> {
    const record = this.recordOf(request.certificateId, request.revision);
    const taken = record ? afterTakeOver(record, request) : null;
    return taken ? this.set(taken) : null;
  }

  async pause(certificateId: string, revision: number, by: string, now: Date): Promise<Rollout | null> {
    return this.change(certificateId, revision, (r) => afterPause(r, by, now));
  }

  async resume(certificateId: string, revision: number, now: Date): Promise<Rollout | null> {
    return this.change(certificateId, revision, (r) => afterResume(r, now));
  }

  private change(
    certificateId: string,
    revision: number,
    transition: (record: Rollout) => Rollout,
  ): Rollout | null {
    const record = this.recordOf(certificateId, revision);
    return record ? this.set(transition(record)) : null;
  }

  private recordOf(certificateId: string, revision: number): Rollout | null {
    return this.records.get(`${certificateId}/${revision}`) ?? null;
  }

  private set(record: Rollout): Rollout {
    this.records.set(`${record.certificateId}/${record.revision}`, record);
    return record;
  }
}
