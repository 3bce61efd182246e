import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/ports/clock.ts';
import type { Lease, Lock } from '../../core/ports/lock.ts';

/** Leases in memory, with DynamoLock's rule: a lease is held up to and including its `expiresAt`. */
export class InMemoryLock implements Lock {
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly clock: Clock) {}

  async acquire(name: string, owner: string, ttlMs: number): Promise<Lease | null> {
    const held = this.leases.get(name);
    if (held && held.expiresAt.getTime() >= this.clock.now().getTime()) return null;
    const lease = {
      name,
      owner,
      token: randomUUID(),
      expiresAt: new Date(this.clock.now().getTime() + ttlMs),
    };
    this.leases.set(name, lease);
    return lease;
  }

  async release(lease: Lease): Promise<void> {
    if (this.leases.get(lease.name)?.token === lease.token) this.leases.delete(lease.name);
  }
}
