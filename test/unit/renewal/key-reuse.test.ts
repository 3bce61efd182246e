import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InMemoryKeystoreStore } from '../../../adapters/memory/in-memory-keystore-store.ts';
import { InMemoryStateStore } from '../../../adapters/memory/in-memory-state-store.ts';
import { SourceSecretResolver } from '../../../adapters/secrets/source-secret-resolver.ts';
import { keyTypeOf, reusableKey } from '../../../core/renewal/key-reuse.ts';
import { aServerPki } from '../../support/agent-keystores.ts';
import { aCertificateConfig, KEYSTORE_PASSWORD_ENV, publishRevision } from '../../support/agent-revisions.ts';

describe('key reuse', () => {
  it('names the key types the configuration orders, and no other', () => {
    const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).privateKey;
    const rsa = (modulusLength: number) => generateKeyPairSync('rsa', { modulusLength }).privateKey;
    expect(keyTypeOf(ec('P-256'))).toBe('ec-p256');
    expect(keyTypeOf(ec('P-384'))).toBe('ec-p384');
    expect(keyTypeOf(ec('P-521'))).toBeNull();
    expect(keyTypeOf(rsa(2048))).toBe('rsa-2048');
    expect(keyTypeOf(rsa(1024))).toBeNull();
    expect(keyTypeOf(generateKeyPairSync('ed25519').privateKey)).toBeNull();
  });

  it("reads the revision's key back from its PEM files, or from its JKS with the configured password", async () => {
    const stores = { state: new InMemoryStateStore(), keystores: new InMemoryKeystoreStore() };
    const pki = await aServerPki();
    const revision = await publishRevision(stores, 'app', pki, { password: 's3cret' });
    const secrets = new SourceSecretResolver({ [KEYSTORE_PASSWORD_ENV]: 's3cret' });
    const expected = pki.leafKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const cert = aCertificateConfig('app');
    expect(await reusableKey(cert, revision, { keystores: stores.keystores, secrets })).toBe(expected);
    const jksOnly = { ...revision, objects: revision.objects.filter((o) => o.format === 'jks') };
    expect(await reusableKey(cert, jksOnly, { keystores: stores.keystores, secrets })).toBe(expected);
    // Another key type configured now: not reused.
    expect(
      await reusableKey({ ...cert, keyType: 'rsa-2048' }, revision, { keystores: stores.keystores, secrets }),
    ).toBeNull();
    // A wrong password fails the renewal rather than silently changing a pinned key.
    await expect(
      reusableKey(cert, jksOnly, {
        keystores: stores.keystores,
        secrets: new SourceSecretResolver({ [KEYSTORE_PASSWORD_ENV]: 'wrong' }),
      }),
    ).rejects.toThrow(/password/i);
  });
});
