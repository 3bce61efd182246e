import type { ManualClock } from '../../adapters/time/manual-clock.ts';
import type { CertificateIssuer } from '../../core/ports/certificate-issuer.ts';
import type { IssuedCertificate, IssueRequest, RenewalInfo } from '../../core/renewal/types.ts';
import { aPki, keyPemOf, pemOf } from '../support/pki.ts';

/**
 * A CertificateIssuer for unit tests: issues real certificates from a throw-away CA (so every
 * downstream check runs for real), records its requests, and fails or answers ARI as told.
 */
export class FakeIssuer implements CertificateIssuer {
  readonly requests: IssueRequest[] = [];
  failWith: Error | null = null;
  /** Failures of one CA only, by directory URL. */
  readonly failAt = new Map<string, Error>();
  renewalInfoAnswer: RenewalInfo | null = null;
  validityDays = 90;

  /** With a clock, an order takes a second of its time, as a real one takes a few. */
  constructor(private readonly clock?: ManualClock) {}

  async issue(request: IssueRequest): Promise<IssuedCertificate> {
    this.requests.push(request);
    this.clock?.advance(1000);
    if (this.failWith) throw this.failWith;
    const failure = this.failAt.get(request.directory);
    if (failure) throw failure;
    const keyType = request.keyType.startsWith('rsa') ? 'rsa-2048' : 'ec-p256';
    const pki = await aPki({
      keyType,
      sans: request.domains,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + this.validityDays * 86_400_000),
    });
    return { privateKeyPem: keyPemOf(pki.leafKey), chainPem: pemOf(pki.chain) };
  }

  async renewalInfo(): Promise<RenewalInfo | null> {
    return this.renewalInfoAnswer;
  }
}
