import type {
  CertificateCatalog,
  CertificateState,
  FailureState,
  RenewalWindow,
  Revision,
  Revocation,
} from '../renewal/types.ts';
import type { RolloutTerms } from './rollout-store.ts';

/**
 * The renewer's memory (DynamoDB in AWS): per certificate the current revision, the ARI window and
 * the failure count; and the immutable revision records that nodes read.
 */
export interface CertificateStateStore {
  /** The state of a certificate; a certificate never seen has every field null. */
  get(certificateId: string): Promise<CertificateState>;
  /**
   * Makes `revision` the current one, if and only if the current revision number is still
   * `revision.revision - 1` (0 for the first): a fence against a second writer.
   * Clears the failure state. `rollout`, the terms the fleet rolls the revision out on, is stored
   * with it in the same write (beside the revision record, not in it: the record is what DMZ
   * receivers are pushed, and they accept no field they do not know); without it the revision
   * reads as one published before 0.3.
   * @throws RevisionConflictError when another revision was published meanwhile
   */
  publish(revision: Revision, rollout?: RolloutTerms): Promise<void>;
  /** A published revision, or null. */
  getRevision(certificateId: string, revision: number): Promise<Revision | null>;
  /** The rollout terms published with a revision; null when none were (or it was never published). */
  rolloutTerms(certificateId: string, revision: number): Promise<RolloutTerms | null>;
  recordFailure(certificateId: string, failure: FailureState): Promise<void>;
  recordWindow(certificateId: string, window: RenewalWindow | null): Promise<void>;
  /** Remembers that a revision was revoked at the CA (the last one only). */
  recordRevocation(certificateId: string, revocation: Revocation): Promise<void>;
  /**
   * Marks the certificate retired since `at`, or (null) in the configuration again. A retired
   * certificate leaves the head; one back in service returns to it with its next revision.
   */
  recordRetirement(certificateId: string, at: string | null): Promise<void>;
  /**
   * The head: the current revision of every certificate in service, in one read, as far as
   * {@link CertificateStateStore.advanceHead} has told it. A certificate missing from it, or behind
   * its state, is read from its state item by whoever needs to know.
   */
  head(): Promise<ReadonlyMap<string, number>>;
  /** Moves a certificate's entry in the head to `revision`; never back to an older one. */
  advanceHead(certificateId: string, revision: number): Promise<void>;
  /** The catalog of certificates; empty at version 0 before the first one is saved. */
  catalog(): Promise<CertificateCatalog>;
  /**
   * Every certificate the store holds a state for, with its retirement mark: what the first catalog
   * is built from, so that a store older than the catalog loses track of none. A whole-table read
   * (a DynamoDB Scan): only for that.
   */
  knownCertificates(): Promise<CertificateCatalog['certificates']>;
  /**
   * Replaces the catalog if it is still at `expected.version`; false (nothing written) when another
   * run saved one meanwhile.
   */
  saveCatalog(
    certificates: CertificateCatalog['certificates'],
    expected: Pick<CertificateCatalog, 'version'>,
  ): Promise<boolean>;
}
