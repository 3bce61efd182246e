/**
 * The rollout machinery of a fleet of one. A DMZ receiver reuses the agent's sync use case, which
 * coordinates reloads through a rollout record and slot leases; a receiver is its own fleet, so its
 * rollout is always `rolling` with itself as canary (no wait), and a halt is not remembered: the
 * next push of the same revision is a fresh attempt (the pusher decides when to try again).
 */
import { newRollout, type Rollout, type RolloutJoin, type RolloutStore } from '../ports/rollout-store.ts';

export class SoloRolloutStore implements RolloutStore {
  constructor(private readonly nodeId: string) {}

  async join(request: RolloutJoin): Promise<Rollout> {
    return this.record(request.certificateId, request.revision, request.now);
  }

  async get(certificateId: string, revision: number): Promise<Rollout | null> {
    return this.record(certificateId, revision, new Date());
  }

  async promote(certificateId: string, revision: number, _nodeId: string, now: Date): Promise<Rollout> {
    return this.record(certificateId, revision, now);
  }

  async served(certificateId: string, revision: number, _nodeId: string, now: Date): Promise<Rollout> {
    return this.record(certificateId, revision, now);
  }

  async halt(
    certificateId: string,
    revision: number,
    nodeId: string,
    reason: string,
    now: Date,
  ): Promise<Rollout> {
    return { ...this.record(certificateId, revision, now), state: 'halted', haltedBy: nodeId, reason };
  }

  async takeOver(request: RolloutJoin): Promise<Rollout> {
    return this.record(request.certificateId, request.revision, request.now);
  }

  private record(certificateId: string, revision: number, now: Date): Rollout {
    const joined = newRollout({
      certificateId,
      revision,
      nodeId: this.nodeId,
      maxParallel: 1,
      nodes: null,
      now,
      canaryDeadline: now,
    });
    return { ...joined, state: 'rolling' };
  }
}
