/** A held lease; `token` identifies this holding (a re-acquired lease gets a new one). */
export interface Lease {
  readonly name: string;
  readonly owner: string;
  readonly token: string;
  readonly expiresAt: Date;
}

/**
 * A lease-based mutual exclusion shared by every renewer (DynamoDB conditional writes in AWS).
 * A holder that crashes loses the lease when it expires. Holding a lease is not a fence by itself:
 * writes that must not happen twice are also conditional (see CertificateStateStore.publish).
 */
export interface Lock {
  /** The lease, or null when someone else holds an unexpired one. Never waits. */
  acquire(name: string, owner: string, ttlMs: number): Promise<Lease | null>;
  /** Releases the lease if it is still ours; releasing a lost lease is not an error. */
  release(lease: Lease): Promise<void>;
}
