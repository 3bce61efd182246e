/**
 * A push as the sync use case's "desired revision" and "keystore store": the agent reads both from
 * DynamoDB and S3; a DMZ receiver, which has neither, reads them from the push it was handed. Every
 * check the use case makes (monotonic revision, hashes, parse, key, names, validity) stays the same.
 */
import { KeystoreNotFoundError } from '../errors.ts';
import type { CertificateStateStore } from '../ports/certificate-state-store.ts';
import type { KeystoreStore } from '../ports/keystore-store.ts';
import type { Revision } from '../renewal/types.ts';

export interface PushedRevisionSource {
  readonly state: Pick<CertificateStateStore, 'get' | 'getRevision'>;
  readonly keystores: Pick<KeystoreStore, 'get'>;
}

export function pushedRevisionSource(
  revision: Revision,
  bytes: ReadonlyMap<string, Buffer>,
): PushedRevisionSource {
  const ours = (certificateId: string) => certificateId === revision.certificateId;
  return {
    state: {
      get: async (certificateId) => ({
        certificateId,
        current: ours(certificateId) ? revision : null,
        window: null,
        failure: null,
        revocation: null,
        retiredAt: null,
      }),
      getRevision: async (certificateId, number) =>
        ours(certificateId) && number === revision.revision ? revision : null,
    },
    keystores: {
      get: async (key) => {
        const data = bytes.get(key);
        if (!data) throw new KeystoreNotFoundError(key);
        return data;
      },
    },
  };
}
