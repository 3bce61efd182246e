/** An ACME account: its key and URL at one CA. */
export interface AcmeAccount {
  readonly keyPem: string;
  readonly url: string;
}

/**
 * Where ACME accounts are kept between runs (encrypted at rest: S3 with SSE-KMS in AWS), so a run
 * reuses the account instead of registering a new one each time.
 */
export interface AcmeAccountStore {
  /** The account for this directory URL, or null when none was saved. */
  load(directory: string): Promise<AcmeAccount | null>;
  save(directory: string, account: AcmeAccount): Promise<void>;
}
