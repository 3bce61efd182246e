import type { IssuedCertificate, IssueRequest, RenewalInfo } from '../renewal/types.ts';

/**
 * An ACME CA. Implementations answer HTTP-01 challenges through a ChallengeStore, always clean up
 * their tokens (also on failure) and map the CA's errors to IssuanceError subclasses.
 */
export interface CertificateIssuer {
  /**
   * Orders, validates and downloads a certificate with a fresh key.
   * @throws RateLimitedError, ValidationFailedError, CaUnreachableError, OrderRejectedError
   */
  issue(request: IssueRequest): Promise<IssuedCertificate>;
  /**
   * The CA's suggested renewal window for a certificate (RFC 9773), or null when the CA has no
   * renewalInfo endpoint. @throws CaUnreachableError
   */
  renewalInfo(directory: string, ariCertId: string): Promise<RenewalInfo | null>;
}
