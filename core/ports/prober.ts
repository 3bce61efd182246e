/** Where a server's TLS port is reached, and the name it is asked for (SNI). */
export interface ProbeEndpoint {
  readonly host: string;
  readonly port: number;
  readonly servername: string;
}

/** The identity of the leaf certificate a server presented. */
export interface ServedCertificate {
  /** Lower-case hex without leading zero bytes, as `summarizeCertificate` prints it. */
  readonly serial: string;
  /** SHA-256 of the DER, lower-case hex. */
  readonly sha256Fingerprint: string;
}

/**
 * Opens a TLS connection and reports the leaf the server sent. It does not judge trust: the
 * question is only "which certificate is served", and the verify step already judged the bytes.
 *
 * - Errors: throws {@link ProbeFailedError} when no handshake completes within the timeout.
 * - Idempotency: read-only; probe as often as needed (a reload is asynchronous in nginx, so the
 *   caller polls until the expected leaf shows or its deadline passes).
 * - Concurrency: safe to call in parallel.
 */
export interface Prober {
  probe(endpoint: ProbeEndpoint): Promise<ServedCertificate>;
}
