import type { KeyObject, X509Certificate } from 'node:crypto';
import { KeystoreFormatError } from '../errors.ts';
import { hasPrivateKey, readCertificates, readPrivateKey } from './pem.ts';
import { PEM_FILES } from './pem-files.ts';

/** A PEM directory read back: the chain (leaf first) and the key, when one of its files holds it. */
export interface PemDirectory {
  readonly chain: readonly [X509Certificate, ...X509Certificate[]];
  readonly privateKey: KeyObject | null;
}

/**
 * Reads a PEM directory as `keystore build --format pem` and the agent write it, from its files by
 * name ({@link PEM_FILES}; other files are ignored), whichever of them are there: the chain from
 * `fullchain.pem`, else `cert.pem` + `chain.pem`, else `combined.pem`; the key from `privkey.pem`,
 * else `combined.pem`. Every file present must hold the same chain and key: a `cert.pem` left over
 * from another certificate is refused, not reported as the directory's certificate. Pure: no I/O.
 * @throws KeystoreFormatError (no certificate file, files of different keystores), InvalidPemError
 */
export function openPemDirectory(files: ReadonlyMap<string, Buffer>, source: string): PemDirectory {
  const text = (name: string) => files.get(name)?.toString('utf8');
  const at = (name: string) => `${source}/${name}`;
  const certificates = (name: string): X509Certificate[] | undefined => {
    const pem = text(name);
    if (pem === undefined) return undefined;
    // The chain.pem of a leaf issued by a root directly is empty.
    return name === PEM_FILES.chain && pem.trim() === '' ? [] : readCertificates(pem, at(name));
  };
  const full = certificates(PEM_FILES.fullchain);
  const leafOnly = certificates(PEM_FILES.cert);
  const intermediates = certificates(PEM_FILES.chain);
  const combined = certificates(PEM_FILES.combined);
  const combinedText = text(PEM_FILES.combined);
  const combinedKey =
    combinedText !== undefined && hasPrivateKey(combinedText)
      ? readPrivateKey(combinedText, at(PEM_FILES.combined))
      : undefined;
  const privkeyText = text(PEM_FILES.privkey);
  const privkey = privkeyText === undefined ? undefined : readPrivateKey(privkeyText, at(PEM_FILES.privkey));

  const [chain, chainFrom] = full
    ? [full, PEM_FILES.fullchain]
    : leafOnly
      ? [[...leafOnly, ...(intermediates ?? [])], PEM_FILES.cert]
      : [combined ?? [], PEM_FILES.combined];
  const [leaf, ...rest] = chain;
  if (!leaf)
    throw new KeystoreFormatError(
      `${source}: no PEM keystore here (none of ${PEM_FILES.fullchain}, ${PEM_FILES.cert}, ${PEM_FILES.combined})`,
    );
  const conflicts = [
    leafOnly && !same(leafOnly, [leaf]) ? `${PEM_FILES.cert} disagrees with ${chainFrom}` : '',
    intermediates && !same(intermediates, rest) ? `${PEM_FILES.chain} disagrees with ${chainFrom}` : '',
    combined && !same(combined, chain) ? `${PEM_FILES.combined} disagrees with ${chainFrom}` : '',
    privkey && combinedKey && !privkey.equals(combinedKey)
      ? `the key of ${PEM_FILES.combined} disagrees with ${PEM_FILES.privkey}`
      : '',
  ].filter((conflict) => conflict !== '');
  if (conflicts.length > 0)
    throw new KeystoreFormatError(`${source}: files of different keystores: ${conflicts.join(', ')}`);
  return { chain: [leaf, ...rest], privateKey: privkey ?? combinedKey ?? null };
}

/** The same certificates in the same order. */
function same(a: readonly X509Certificate[], b: readonly X509Certificate[]): boolean {
  return a.length === b.length && a.every((certificate, i) => b[i]?.raw.equals(certificate.raw) === true);
}
