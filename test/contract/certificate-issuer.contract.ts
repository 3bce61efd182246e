import { createPrivateKey, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CertificateIssuer } from '../../core/ports/certificate-issuer.ts';
import type { IssuedCertificate, IssueRequest } from '../../core/renewal/types.ts';
import { uniqueName } from './unique-name.ts';

export interface CertificateIssuerSubject {
  readonly issuer: CertificateIssuer;
  /** The directory URL of a CA that issues for `*.acme-ha.test` and has no renewalInfo endpoint. */
  readonly directory: string;
}

function certificatesOf(pem: string): X509Certificate[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    (m) => new X509Certificate(m[0]),
  );
}

/**
 * The promises of core/ports/certificate-issuer.ts, checked on one order (a real one takes a CA
 * round trip per step): every assertion below reads the same issued certificate.
 */
export function describeCertificateIssuerContract(
  name: string,
  make: () => CertificateIssuerSubject | Promise<CertificateIssuerSubject>,
): void {
  describe(`CertificateIssuer contract: ${name}`, () => {
    let subject: CertificateIssuerSubject;
    let request: IssueRequest;
    let issued: IssuedCertificate;
    let chain: X509Certificate[];

    beforeAll(async () => {
      subject = await make();
      const label = uniqueName('contract');
      request = {
        certificateId: label,
        directory: subject.directory,
        domains: [`${label}.acme-ha.test`, `www.${label}.acme-ha.test`],
        keyType: 'ec-p256',
      };
      issued = await subject.issuer.issue(request);
      chain = certificatesOf(issued.chainPem);
    });

    it('issues a leaf for every requested name', () => {
      const sans = chain[0]?.subjectAltName?.split(', ').sort();

      expect(sans).toEqual(request.domains.map((d) => `DNS:${d}`).sort());
    });

    it('returns the private key of the leaf, of the requested type', () => {
      const key = createPrivateKey(issued.privateKeyPem);

      expect(chain[0]?.checkPrivateKey(key)).toBe(true);
      expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    });

    it('returns the chain leaf first, each certificate issued by the next', () => {
      expect(chain.length).toBeGreaterThanOrEqual(2);
      for (const [i, cert] of chain.slice(0, -1).entries()) {
        const issuer = chain[i + 1] as X509Certificate;
        expect(cert.checkIssued(issuer) && cert.verify(issuer.publicKey), `certificate ${i}`).toBe(true);
      }
      expect(chain[0]?.ca).toBe(false);
    });

    it('issues a certificate valid now', () => {
      const now = Date.now();

      expect(Date.parse(chain[0]?.validFrom ?? '')).toBeLessThanOrEqual(now);
      expect(Date.parse(chain[0]?.validTo ?? '')).toBeGreaterThan(now);
    });

    it('answers renewalInfo with null when the CA has no renewalInfo endpoint', async () => {
      expect(
        await subject.issuer.renewalInfo(subject.directory, 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'),
      ).toBeNull();
    });
  });
}
