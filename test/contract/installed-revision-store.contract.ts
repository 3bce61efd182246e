import { describe, expect, it } from 'vitest';
import type { InstalledRevision, InstalledRevisionStore } from '../../core/ports/installed-revision-store.ts';
import { uniqueName } from './unique-name.ts';

export interface InstalledRevisionStoreSubject {
  readonly store: InstalledRevisionStore;
}

function anInstalledRevision(certificateId: string, revision: number): InstalledRevision {
  return {
    certificateId,
    revision,
    serial: `0${revision}ff`,
    files: {
      '/etc/app/tls/app.jks': 'ab'.repeat(32),
      '/etc/app/tls/fullchain.pem': `${revision}`.repeat(64),
    },
    installedAt: `2031-07-01T00:00:0${revision}.000Z`,
  };
}

/** The promises of core/ports/installed-revision-store.ts. */
export function describeInstalledRevisionStoreContract(
  name: string,
  make: () => InstalledRevisionStoreSubject | Promise<InstalledRevisionStoreSubject>,
): void {
  describe(`InstalledRevisionStore contract: ${name}`, () => {
    it('has no record of a certificate never installed', async () => {
      const { store } = await make();

      expect(await store.get(uniqueName('cert'))).toBeNull();
    });

    it('returns the record that was put', async () => {
      const { store } = await make();
      const id = uniqueName('cert');

      await store.put(anInstalledRevision(id, 1));

      expect(await store.get(id)).toEqual(anInstalledRevision(id, 1));
    });

    it('replaces the record on put', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.put(anInstalledRevision(id, 1));

      await store.put(anInstalledRevision(id, 2));

      expect(await store.get(id)).toEqual(anInstalledRevision(id, 2));
    });

    it('keeps certificates apart', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.put(anInstalledRevision(id, 1));
      await store.put(anInstalledRevision(`${id}-2`, 5));

      expect(await store.get(id)).toEqual(anInstalledRevision(id, 1));
      expect(await store.get(`${id}-3`)).toBeNull();
    });

    it('forgets a removed record, the others kept; removing none is no error', async () => {
      const { store } = await make();
      const id = uniqueName('cert');
      await store.put(anInstalledRevision(id, 1));
      await store.put(anInstalledRevision(`${id}-2`, 5));

      await store.remove(id);
      await store.remove(id);

      expect(await store.get(id)).toBeNull();
      expect(await store.get(`${id}-2`)).toEqual(anInstalledRevision(`${id}-2`, 5));
    });
  });
}
