import { RevisionConflictError } from '../../core/errors.ts';
import type { CertificateStateStore } from '../../core/ports/certificate-state-store.ts';
import type { RolloutTerms } from '../../core/ports/rollout-store.ts';
import type {
  CertificateCatalog,
  CertificateState,
  FailureState,
  RenewalWindow,
  Revision,
  Revocation,
} from '../../core/renewal/types.ts';

/**
 * In-memory CertificateStateStore with the same fence as the DynamoDB one. Each change reads and
 * writes without an `await` in between, so simultaneous calls cannot both pass the fence.
 */
export class InMemoryStateStore implements CertificateStateStore {
  private readonly states = new Map<string, CertificateState>();
  private readonly revisions = new Map<string, Revision>();
  private readonly terms = new Map<string, RolloutTerms>();
  private saved: CertificateCatalog | null = null;
  private readonly heads = new Map<string, number>();

  async get(certificateId: string): Promise<CertificateState> {
    const state = this.stateOf(certificateId);
    const revision = state.current?.revision;
    return { ...state, currentTerms: revision ? await this.rolloutTerms(certificateId, revision) : null };
  }

  async publish(revision: Revision, rollout?: RolloutTerms): Promise<void> {
    const state = this.stateOf(revision.certificateId);
    if ((state.current?.revision ?? 0) !== revision.revision - 1) {
      throw new RevisionConflictError(revision.certificateId, revision.revision);
    }
    const key = `${revision.certificateId}/${revision.revision}`;
    this.revisions.set(key, revision);
    if (rollout) this.terms.set(key, rollout);
    this.states.set(revision.certificateId, { ...state, current: revision, failure: null });
  }

  async getRevision(certificateId: string, revision: number): Promise<Revision | null> {
    return this.revisions.get(`${certificateId}/${revision}`) ?? null;
  }

  async rolloutTerms(certificateId: string, revision: number): Promise<RolloutTerms | null> {
    return this.terms.get(`${certificateId}/${revision}`) ?? null;
  }

  async recordFailure(certificateId: string, failure: FailureState): Promise<void> {
    this.states.set(certificateId, { ...this.stateOf(certificateId), failure });
  }

  async recordWindow(certificateId: string, window: RenewalWindow | null): Promise<void> {
    this.states.set(certificateId, { ...this.stateOf(certificateId), window });
  }

  async recordRevocation(certificateId: string, revocation: Revocation): Promise<void> {
    this.states.set(certificateId, { ...this.stateOf(certificateId), revocation });
  }

  async recordRetirement(certificateId: string, at: string | null): Promise<void> {
    this.states.set(certificateId, { ...this.stateOf(certificateId), retiredAt: at });
    if (at !== null) this.heads.delete(certificateId);
  }

  async head(): Promise<ReadonlyMap<string, number>> {
    return new Map(this.heads);
  }

  async advanceHead(certificateId: string, revision: number): Promise<void> {
    if ((this.heads.get(certificateId) ?? 0) < revision) this.heads.set(certificateId, revision);
  }

  async catalog(): Promise<CertificateCatalog> {
    return this.saved ?? { certificates: {}, version: 0 };
  }

  async knownCertificates(): Promise<CertificateCatalog['certificates']> {
    return Object.fromEntries([...this.states.values()].map((s) => [s.certificateId, s.retiredAt]));
  }

  async saveCatalog(
    certificates: CertificateCatalog['certificates'],
    expected: Pick<CertificateCatalog, 'version'>,
  ): Promise<boolean> {
    if ((this.saved?.version ?? 0) !== expected.version) return false;
    this.saved = { certificates: { ...certificates }, version: expected.version + 1 };
    return true;
  }

  private stateOf(certificateId: string): CertificateState {
    return (
      this.states.get(certificateId) ?? {
        certificateId,
        current: null,
        window: null,
        failure: null,
        revocation: null,
        retiredAt: null,
      }
    );
  }
}
