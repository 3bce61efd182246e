import type { KeyObject, X509Certificate } from 'node:crypto';

/** What an operator needs to recognise a certificate; the shape of `keystore inspect --json`. */
export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  /** DNS names and IP addresses of the subjectAltName extension, in certificate order. */
  readonly sans: readonly string[];
  /** Serial number, lower-case hex without separators. */
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** SHA-256 of the DER, lower-case hex without separators. */
  readonly sha256Fingerprint: string;
}

export function summarizeCertificate(cert: X509Certificate): CertificateSummary {
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    sans: subjectAltNames(cert),
    serial: cert.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    sha256Fingerprint: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
  };
}

/** Node prints distinguished names one attribute per line; keep them on one. */
function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

/**
 * Node renders subjectAltName as `DNS:a, DNS:b, IP Address:127.0.0.1`, JSON-quoting any value that
 * would be ambiguous. DNS names and IP addresses can hold neither commas nor quotes, so a split is exact
 * for them; other name types are skipped.
 */
export function subjectAltNames(cert: X509Certificate): string[] {
  const text = cert.subjectAltName;
  if (!text) return [];
  const names: string[] = [];
  for (const part of text.split(', ')) {
    const match = /^(DNS|IP Address):(.*)$/.exec(part);
    if (match?.[2]) names.push(match[2]);
  }
  return names;
}

export function keyMatchesCertificate(key: KeyObject, cert: X509Certificate): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    // Node throws when the key type differs from the certificate's (RSA key, EC certificate).
    return false;
  }
}

/** Whether `cert` was issued by `issuer`: names chain and the signature verifies. */
export function isIssuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}
