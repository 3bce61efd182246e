/**
 * Where the certificate configuration names secrets: what the renewer resolves while it builds
 * keystores and registers accounts. The CDK grants read access to exactly these; `acme-ha renew`
 * checks the `{ env: VAR }` ones before it orders anything.
 */
import type { CertificateConfig, SecretSource } from './certificate-config.ts';

/** One secret source the configuration names, with its path there and its certificate. */
export interface SecretReference {
  readonly source: SecretSource;
  readonly path: string;
  readonly certificateId: string;
}

/** Every secret source the renewer reads: keystore and key passwords, EAB keys (also of fallbacks). */
export function secretReferences(config: {
  readonly certificates: readonly CertificateConfig[];
}): SecretReference[] {
  return config.certificates.flatMap((cert, i) => {
    const at = (source: SecretSource | undefined, path: string): SecretReference[] =>
      source ? [{ source, path: `certificates[${i}].${path}`, certificateId: cert.id }] : [];
    return [
      ...cert.keystores.flatMap((ks, j) => [
        ...at(ks.password, `keystores[${j}].password`),
        ...at(ks.keyPassword, `keystores[${j}].keyPassword`),
      ]),
      ...at(cert.eab?.hmacKey, 'eab.hmacKey'),
      ...cert.fallbacks.flatMap((ca, k) => at(ca.eab?.hmacKey, `fallbacks[${k}].eab.hmacKey`)),
    ];
  });
}
