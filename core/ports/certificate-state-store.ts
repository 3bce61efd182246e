import type { CertificateState, FailureState, RenewalWindow, Revision } from '../renewal/types.ts';

/**
 * The renewer's memory (DynamoDB in AWS): per certificate the current revision, the ARI window and
 * the failure count; and the immutable revision records that nodes read.
 */
export interface CertificateStateStore {
  /** The state of a certificate; a certificate never seen has `current`, `window`, `failure` null. */
  get(certificateId: string): Promise<CertificateState>;
  /**
   * Makes `revision` the current one, if and only if the current revision number is still
   * `revision.revision - 1` (0 for the first): a fence against a second writer.
   * Clears the failure state.
   * @throws RevisionConflictError when another revision was published meanwhile
   */
  publish(revision: Revision): Promise<void>;
  /** A published revision, or null. */
  getRevision(certificateId: string, revision: number): Promise<Revision | null>;
  recordFailure(certificateId: string, failure: FailureState): Promise<void>;
  recordWindow(certificateId: string, window: RenewalWindow | null): Promise<void>;
}
