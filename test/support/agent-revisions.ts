/**
 * Publishes revisions the way the renewer does (core's storeRevisionObjects + state.publish), from
 * a test PKI instead of a CA: lets agent tests craft revisions a CA would never issue (expired,
 * other names) and tamper with stored bytes afterwards.
 */

import type { AwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { S3KeystoreStore } from '../../adapters/aws/s3-keystore-store.ts';
import type { CertificateConfig } from '../../core/config/certificate-config.ts';
import type { CertificateStateStore } from '../../core/ports/certificate-state-store.ts';
import type { KeystoreStore } from '../../core/ports/keystore-store.ts';
import { storeRevisionObjects } from '../../core/renewal/publish-revision.ts';
import type { Revision } from '../../core/renewal/types.ts';
import type { LocalStack } from '../../local/stack.ts';
import type { TestPki } from './pki.ts';

export const KEYSTORE_PASSWORD_ENV = 'ACME_HA_TEST_KS_PASSWORD';

export function aCertificateConfig(id: string, domains = ['app.acme-ha.test']): CertificateConfig {
  return {
    id,
    domains,
    keyType: 'ec-p256',
    key: { rotation: 'always' },
    challenge: 'http-01',
    groups: [],
    nodes: [],
    publicEndpoint: 'internal',
    dmz: [],
    fallbacks: [],
    keystores: [
      { format: 'jks', alias: 'server', password: { env: KEYSTORE_PASSWORD_ENV } },
      { format: 'pem' },
    ],
  };
}

export async function publishRevision(
  stores: { readonly state: CertificateStateStore; readonly keystores: KeystoreStore },
  certificateId: string,
  pki: TestPki,
  options: { readonly revision?: number; readonly password?: string; readonly now?: Date } = {},
): Promise<Revision> {
  const password = options.password ?? 'changeit';
  const revision = options.revision ?? ((await stores.state.get(certificateId)).current?.revision ?? 0) + 1;
  const record = await storeRevisionObjects({
    cert: aCertificateConfig(certificateId),
    material: { privateKey: pki.leafKey, chain: pki.chain },
    revision,
    directory: 'https://ca.invalid/directory',
    configHash: 'test',
    now: options.now ?? new Date(),
    keystores: stores.keystores,
    secrets: { resolve: async () => password },
  });
  await stores.state.publish(record);
  return record;
}

/** The stack's state table and keystore bucket through the production adapters, for tests to publish and read. */
export function stackStores(
  stack: LocalStack,
  clients: AwsClients,
): { readonly state: DynamoStateStore; readonly keystores: S3KeystoreStore } {
  return {
    state: new DynamoStateStore(clients.documents, stack.resources.tableName),
    keystores: new S3KeystoreStore(clients.s3, stack.resources.bucket),
  };
}
