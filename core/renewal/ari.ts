/**
 * ACME Renewal Information (RFC 9773) on the client side: the certificate identifier, and the
 * moment to renew chosen inside the CA's window.
 */
import type { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, Certificate, id_ce_authorityKeyIdentifier } from '@peculiar/asn1-x509';

const base64url = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes as Uint8Array).toString('base64url');

/**
 * `base64url(AKI keyIdentifier) "." base64url(serial DER integer bytes)` (RFC 9773 §4.1), or null when
 * the certificate has no authority key identifier.
 */
export function ariCertificateId(cert: X509Certificate): string | null {
  const parsed = AsnConvert.parse(cert.raw, Certificate);
  const extension = parsed.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_authorityKeyIdentifier);
  if (!extension) return null;
  const aki = AsnConvert.parse(extension.extnValue, AuthorityKeyIdentifier);
  if (!aki.keyIdentifier) return null;
  return `${base64url(aki.keyIdentifier.buffer)}.${base64url(parsed.tbsCertificate.serialNumber)}`;
}

/** A moment uniformly at random inside [start, end] (`random` in [0, 1)). */
export function pickInWindow(start: Date, end: Date, random: number): Date {
  const span = Math.max(0, end.getTime() - start.getTime());
  return new Date(start.getTime() + Math.floor(random * span));
}
