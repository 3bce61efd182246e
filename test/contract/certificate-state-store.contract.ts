import { describe, expect, it } from 'vitest';
import { RevisionConflictError } from '../../core/errors.ts';
import type { CertificateStateStore } from '../../core/ports/certificate-state-store.ts';
import type { FailureState, RenewalWindow, Revision } from '../../core/renewal/types.ts';
import { uniqueName } from './unique-name.ts';

export interface CertificateStateStoreSubject {
  readonly store: CertificateStateStore;
}

/** A revision record (builder, also for adapter tests beyond the contract). */
export function aRevision(
  certificateId: string,
  revision: number,
  overrides: Partial<Revision> = {},
): Revision {
  const number = String(revision).padStart(6, '0');
  return {
    certificateId,
    revision,
    serial: `0a${number}`,
    sans: ['app.acme-ha.test', 'www.acme-ha.test'],
    notBefore: '2031-01-01T00:00:00.000Z',
    notAfter: '2031-04-01T00:00:00.000Z',
    issuer: 'CN=Pebble Intermediate CA',
    directory: 'https://ca.acme-ha.test/directory',
    ariCertId: null,
    configHash: 'c0ffee',
    objects: [
      {
        name: `${certificateId}.jks`,
        format: 'jks',
        key: `certificates/${certificateId}/${number}/${certificateId}.jks`,
        sha256: 'ab'.repeat(32),
        size: 2048,
      },
    ],
    createdAt: `2031-01-01T00:00:0${revision % 10}.000Z`,
    ...overrides,
  };
}

function aFailure(attempts = 1): FailureState {
  return {
    attempts,
    lastErrorCode: 'CA_UNREACHABLE',
    lastErrorMessage: 'connect ECONNREFUSED',
    lastAttemptAt: '2031-01-02T00:00:00.000Z',
    nextAttemptAt: '2031-01-02T01:00:00.000Z',
  };
}

function aWindow(): RenewalWindow {
  return {
    start: '2031-02-01T00:00:00.000Z',
    end: '2031-02-03T00:00:00.000Z',
    selectedAt: '2031-02-02T05:00:00.000Z',
    recheckAfter: '2031-01-02T06:00:00.000Z',
  };
}

/** The promises of core/ports/certificate-state-store.ts. */
export function describeCertificateStateStoreContract(
  name: string,
  make: () => CertificateStateStoreSubject | Promise<CertificateStateStoreSubject>,
): void {
  describe(`CertificateStateStore contract: ${name}`, () => {
    it('knows nothing of a certificate never seen', async () => {
      const { store } = await make();
      const id = uniqueName('cert');

      expect(await store.get(id)).toEqual({
        certificateId: id,
        current: null,
        window: null,
        failure: null,
        revocation: null,
        retiredAt: null,
        currentTerms: null,
      });
      expect(await store.getRevision(id, 1)).toBeNull();
    });

    it('knows every certificate it holds a state for, with its retirement mark', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.publish(aRevision(id, 1));
      const retired = uniqueName('cert');
      await store.recordRetirement(retired, '2031-01-05T00:00:00.000Z');

      expect(await store.knownCertificates()).toMatchObject({
        [id]: null,
        [retired]: '2031-01-05T00:00:00.000Z',
      });
    });

    it('has an empty catalog at version 0 before the first is saved', async () => {
      const { store } = await make();
      expect(await store.catalog()).toEqual({ certificates: {}, version: 0 });
    });

    it('replaces the catalog only from the version it was read at', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      const read = await store.catalog();
      const next = { ...read.certificates, [id]: '2031-01-05T00:00:00.000Z' };

      expect(await store.saveCatalog(next, read)).toBe(true);
      expect(await store.saveCatalog({}, read)).toBe(false);
      expect(await store.catalog()).toEqual({ certificates: next, version: read.version + 1 });
    });

    it('marks a certificate retired and back in service, keeping the rest of its state', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.publish(aRevision(id, 1));
      await store.recordRetirement(id, '2031-01-05T00:00:00.000Z');
      expect(await store.get(id)).toMatchObject({
        current: { revision: 1 },
        retiredAt: '2031-01-05T00:00:00.000Z',
      });
      await store.recordRetirement(id, null);
      expect(await store.get(id)).toMatchObject({ current: { revision: 1 }, retiredAt: null });
    });

    it('publishes revision 1, then each next one, keeping every earlier revision', async () => {
      const { store } = await make();
      const id = uniqueName('cert');

      await store.publish(aRevision(id, 1));
      await store.publish(aRevision(id, 2));

      expect((await store.get(id)).current).toEqual(aRevision(id, 2));
      expect(await store.getRevision(id, 1)).toEqual(aRevision(id, 1));
      expect(await store.getRevision(id, 2)).toEqual(aRevision(id, 2));
    });

    it('remembers the last revocation, and keeps it through the next publication', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.publish(aRevision(id, 1));
      const revocation = {
        revision: 1,
        serial: 'abc1',
        reason: 'keyCompromise',
        revokedAt: '2026-12-05T00:00:00.000Z',
      } as const;
      await store.recordRevocation(id, revocation);
      expect((await store.get(id)).revocation).toEqual(revocation);
      await store.publish(aRevision(id, 2));
      expect(await store.get(id)).toMatchObject({ current: { revision: 2 }, revocation });
    });

    it('refuses a revision that does not follow the current one, changing nothing', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.publish(aRevision(id, 1));

      const error = await store.publish(aRevision(id, 3)).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RevisionConflictError);
      expect(error).toMatchObject({ certificateId: id, revision: 3 });
      expect((await store.get(id)).current?.revision).toBe(1);
      expect(await store.getRevision(id, 3)).toBeNull();
    });

    it('refuses to publish a revision a second time', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.publish(aRevision(id, 1));

      await expect(store.publish(aRevision(id, 1, { serial: 'late' }))).rejects.toBeInstanceOf(
        RevisionConflictError,
      );
      expect(await store.getRevision(id, 1)).toEqual(aRevision(id, 1));
    });

    it('publishes a refused revision once it follows the current one', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.publish(aRevision(id, 1));
      await expect(store.publish(aRevision(id, 3, { serial: 'early' }))).rejects.toBeInstanceOf(
        RevisionConflictError,
      );

      await store.publish(aRevision(id, 2));
      await store.publish(aRevision(id, 3));

      expect((await store.get(id)).current).toEqual(aRevision(id, 3));
      expect(await store.getRevision(id, 3)).toEqual(aRevision(id, 3));
    });

    it('lets exactly one of two simultaneous publishes of one revision win', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      const rivals = [aRevision(id, 1, { serial: 'aa' }), aRevision(id, 1, { serial: 'bb' })];

      const results = await Promise.allSettled(rivals.map((r) => store.publish(r)));

      const winner = rivals[results.findIndex((r) => r.status === 'fulfilled')];
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(losers.map((r) => r.reason)).toEqual([expect.any(RevisionConflictError)]);
      expect((await store.get(id)).current).toEqual(winner);
      expect(await store.getRevision(id, 1)).toEqual(winner);
    });

    it('clears the failure on publish and keeps the window', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.recordWindow(id, aWindow());
      await store.recordFailure(id, aFailure(2));

      await store.publish(aRevision(id, 1));

      expect(await store.get(id)).toEqual({
        certificateId: id,
        current: aRevision(id, 1),
        window: aWindow(),
        failure: null,
        revocation: null,
        retiredAt: null,
        currentTerms: null,
      });
    });

    it('records the failure and the window, and clears the window with null', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.publish(aRevision(id, 1));

      await store.recordFailure(id, aFailure(1));
      await store.recordFailure(id, aFailure(2));
      await store.recordWindow(id, aWindow());
      expect(await store.get(id)).toEqual({
        certificateId: id,
        current: aRevision(id, 1),
        window: aWindow(),
        failure: aFailure(2),
        revocation: null,
        retiredAt: null,
        currentTerms: null,
      });

      await store.recordWindow(id, null);
      expect((await store.get(id)).window).toBeNull();
    });

    it('keeps certificates apart', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.publish(aRevision(id, 1));
      await store.recordFailure(`${id}-2`, aFailure());

      expect((await store.get(id)).failure).toBeNull();
      expect((await store.get(`${id}-2`)).current).toBeNull();
      expect(await store.getRevision(`${id}-2`, 1)).toBeNull();
    });

    it('keeps the rollout terms beside each revision, out of the revision record', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      const terms = { maxParallel: 3, nodes: ['web-1', 'web-2'] };

      await store.publish(aRevision(id, 1), terms);
      // Read with the state: a node joining the current revision's rollout needs no second read.
      expect((await store.get(id)).currentTerms).toEqual(terms);
      await store.publish(aRevision(id, 2), { maxParallel: 1, nodes: null });
      expect((await store.get(id)).currentTerms).toEqual({ maxParallel: 1, nodes: null });
      await store.publish(aRevision(id, 3));
      expect((await store.get(id)).currentTerms).toBeNull();

      expect(await store.rolloutTerms(id, 1)).toEqual(terms);
      expect(await store.rolloutTerms(id, 2)).toEqual({ maxParallel: 1, nodes: null });
      // Published without terms (as before 0.3): none, and none left over from revision 2.
      expect(await store.rolloutTerms(id, 3)).toBeNull();
      expect(await store.rolloutTerms(id, 4)).toBeNull();
      expect(await store.rolloutTerms(`${id}-2`, 1)).toBeNull();
      // The revision record a DMZ receiver is pushed stays exactly what it was.
      expect(await store.getRevision(id, 1)).toEqual(aRevision(id, 1));
      expect((await store.get(id)).current).toEqual(aRevision(id, 3));
    });

    it('keeps a head of current revisions that only moves forward, and loses a retired certificate from it', async () => {
      const { store } = await make();
      const [a, b] = [uniqueName('cert'), uniqueName('cert')];
      await store.advanceHead(a, 2);
      await store.advanceHead(b, 1);
      await store.advanceHead(a, 1);
      await store.advanceHead(a, 3);

      const head = await store.head();
      expect([head.get(a), head.get(b)]).toEqual([3, 1]);

      await store.recordRetirement(b, '2031-06-01T08:00:00.000Z');
      expect((await store.head()).has(b)).toBe(false);
      expect((await store.head()).get(a)).toBe(3);
      // Back in service: it returns to the head with its next revision.
      await store.recordRetirement(b, null);
      await store.advanceHead(b, 2);
      expect((await store.head()).get(b)).toBe(2);
    });

    it('publishes no terms with a refused revision', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.publish(aRevision(id, 1), { maxParallel: 2, nodes: null });

      await expect(store.publish(aRevision(id, 1), { maxParallel: 9, nodes: null })).rejects.toBeInstanceOf(
        RevisionConflictError,
      );

      expect(await store.rolloutTerms(id, 1)).toEqual({ maxParallel: 2, nodes: null });
    });
  });
}
