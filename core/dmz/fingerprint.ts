import { X509Certificate } from 'node:crypto';

/** SHA-256 of a certificate's DER, lower-case hex without colons: the form pinned in configs. */
export function certificateFingerprint(certificate: X509Certificate | Buffer | string): string {
  const cert = certificate instanceof X509Certificate ? certificate : new X509Certificate(certificate);
  return normalizeFingerprint(cert.fingerprint256);
}

/** `AB:CD:…` (Node, openssl) or `abcd…` → `abcd…`. */
export function normalizeFingerprint(text: string): string {
  return text.replaceAll(':', '').toLowerCase();
}

/** `abcd…` → `AB:CD:…`, as `openssl x509 -fingerprint -sha256` prints it, for people comparing by eye. */
export function displayFingerprint(hex: string): string {
  return (normalizeFingerprint(hex).match(/../g) ?? []).join(':').toUpperCase();
}
