import { AcmeHaError } from '../errors.ts';

/** What was wrong with a revision that a node refused to install. */
export type VerificationFailure =
  | 'OBJECT_MISSING'
  | 'CHECKSUM_MISMATCH'
  | 'KEYSTORE_UNREADABLE'
  | 'KEYSTORE_PASSWORD'
  | 'KEY_MISMATCH'
  | 'CHAIN_OUT_OF_ORDER'
  | 'PEM_FILES_DISAGREE'
  | 'SERIAL_MISMATCH'
  | 'NAMES_NOT_COVERED'
  | 'CERTIFICATE_NOT_VALID_NOW';

/** A revision's bytes failed a check before anything was written; `reason` says which. */
export class RevisionVerificationError extends AcmeHaError {
  override readonly name: string = 'RevisionVerificationError';
  override readonly code: string;
  constructor(
    readonly reason: VerificationFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = reason;
  }
}

/** A reload action failed or ran past its timeout. */
export class ReloadFailedError extends AcmeHaError {
  override readonly name: string = 'ReloadFailedError';
  override readonly code = 'RELOAD_FAILED';
  override readonly retryable = true;
}

/** No TLS handshake, or the wrong certificate served, within the probe deadline. */
export class ProbeFailedError extends AcmeHaError {
  override readonly name: string = 'ProbeFailedError';
  override readonly code = 'PROBE_FAILED';
  override readonly retryable = true;
}

/** The load balancer could not be told to drain this node (or to take it back). */
export class DrainFailedError extends AcmeHaError {
  override readonly name: string = 'DrainFailedError';
  override readonly code = 'DRAIN_FAILED';
  override readonly retryable = true;
}
