/**
 * `key: { rotation: reuse }` (certbot's `--reuse-key`): a renewal keeps the current revision's private
 * key, for users who pin it (HPKP-style pins in mobile apps, DANE `TLSA 3 1 1`). The key is read back
 * from the revision's own objects in the keystore store (KMS-encrypted S3): its PEM `privkey.pem`, or
 * else its JKS or PKCS#12 with the configured password. A key of another type than the configuration
 * now asks for is not reused.
 */
import type { KeyObject } from 'node:crypto';
import type { CertificateConfig, KeyType } from '../config/certificate-config.ts';
import { openKeystore } from '../keystore/keystore.ts';
import { readPrivateKey } from '../keystore/pem.ts';
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
  const pem = revision.objects.find((o) => o.format === 'pem' && o.name === 'privkey.pem');
  const store = revision.objects.find((o) => o.format === 'jks' || o.format === 'pkcs12');
  const source = pem ?? store;
  if (!source) throw new Error(`revision ${revision.revision} of ${cert.id} has no object holding its key`);
  const bytes = await deps.keystores.get(source.key);
  const settings = cert.keystores.find((k) => k.format === source.format);
  const key =
    source === pem
      ? readPrivateKey(bytes.toString('utf8'), source.key)
      : openKeystore(
          bytes,
          await resolveIfNamed(deps.secrets, settings?.password),
          source.key,
          await resolveIfNamed(deps.secrets, settings?.keyPassword),
        ).privateKey;
  if (!key) throw new Error(`${source.key} holds no private key`);
  if (keyTypeOf(key) !== cert.keyType) return null;
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}
