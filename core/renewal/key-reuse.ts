/**
 * `key: { rotation: reuse }` (certbot's `--reuse-key`): a renewal keeps the current revision's private
 * key, for users who pin it (HPKP-style pins in mobile apps, DANE `TLSA 3 1 1`). The key is read back
 * from the revision's own objects in the keystore store (KMS-encrypted S3): its PEM `privkey.pem`, or
 * else its JKS or PKCS#12 with the configured password. A key of another type than the configuration
 * now asks for is not reused.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { CertificateConfig, KeyType } from '../config/certificate-config.ts';
import { openKeystore } from '../keystore/keystore.ts';
import { readCertificates, readPrivateKey } from '../keystore/pem.ts';
import type { KeystoreStore } from '../ports/keystore-store.ts';
import { resolveIfNamed, type SecretResolver } from '../ports/secret-resolver.ts';
import type { Revision } from './types.ts';

/** The configuration's key type of a key, or null for any other (an RSA size or curve we do not order). */
export function keyTypeOf(key: KeyObject): KeyType | null {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec')
    return details?.namedCurve === 'prime256v1'
      ? 'ec-p256'
      : details?.namedCurve === 'secp384r1'
        ? 'ec-p384'
        : null;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details?.modulusLength;
    return bits === 2048 || bits === 3072 || bits === 4096 ? (`rsa-${bits}` as KeyType) : null;
  }
  return null;
}

/**
 * The private key and chain of a published revision, read back from its own objects in the keystore
 * store: its PEM files (`privkey.pem`, `fullchain.pem`), or else its JKS or PKCS#12 with the
 * configured password.
 * @throws when the objects cannot be read or opened
 */
export async function readRevisionMaterial(
  cert: CertificateConfig,
  revision: Revision,
  deps: { readonly keystores: Pick<KeystoreStore, 'get'>; readonly secrets: SecretResolver },
): Promise<{
  readonly privateKey: KeyObject;
  readonly chain: readonly [X509Certificate, ...X509Certificate[]];
}> {
  const pemObject = (name: string) => revision.objects.find((o) => o.format === 'pem' && o.name === name);
  const key = pemObject('privkey.pem');
  const fullchain = pemObject('fullchain.pem');
  if (key && fullchain) {
    const [leaf, ...rest] = readCertificates(
      (await deps.keystores.get(fullchain.key)).toString('utf8'),
      fullchain.key,
    );
    if (!leaf) throw new Error(`${fullchain.key} holds no certificate`);
    return {
      privateKey: readPrivateKey((await deps.keystores.get(key.key)).toString('utf8'), key.key),
      chain: [leaf, ...rest],
    };
  }
  const store = revision.objects.find((o) => o.format === 'jks' || o.format === 'pkcs12');
  if (!store) throw new Error(`revision ${revision.revision} of ${cert.id} has no object holding its key`);
  const settings = cert.keystores.find((k) => k.format === store.format);
  const opened = openKeystore(
    await deps.keystores.get(store.key),
    await resolveIfNamed(deps.secrets, settings?.password),
    store.key,
    await resolveIfNamed(deps.secrets, settings?.keyPassword),
  );
  if (!opened.privateKey) throw new Error(`${store.key} holds no private key`);
  return { privateKey: opened.privateKey, chain: opened.chain };
}

/**
 * The private key of `revision` as PKCS#8 PEM, to order the next certificate with; null when it is
 * of another type than `cert.keyType`.
 * @throws when the revision's objects cannot be read or opened (the renewal then fails, and backs off,
 *   rather than silently changing a pinned key)
 */
export async function reusableKey(
  cert: CertificateConfig,
  revision: Revision,
  deps: { readonly keystores: Pick<KeystoreStore, 'get'>; readonly secrets: SecretResolver },
): Promise<string | null> {
  const { privateKey } = await readRevisionMaterial(cert, revision, deps);
  if (keyTypeOf(privateKey) !== cert.keyType) return null;
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}
