/**
 * The error hierarchy of acme-ha. Every error we raise on purpose is an {@link AcmeHaError} with a
 * stable `code` (for `--json` output and logs) and typed fields; vendor errors are wrapped as `cause`.
 */
export class AcmeHaError extends Error {
  override readonly name: string = 'AcmeHaError';
  /** Stable, machine-readable identifier of the failure kind. */
  readonly code: string = 'ACME_HA_ERROR';
  /** Whether the same call may succeed later without any change of input. */
  readonly retryable: boolean = false;
}

/** Input given by a person or a file is not acceptable; nothing was done. */
export class InvalidInputError extends AcmeHaError {
  override readonly name: string = 'InvalidInputError';
  override readonly code: string = 'INVALID_INPUT';
}

/** A PEM text could not be read: not PEM, the wrong block type, or undecodable contents. */
export class InvalidPemError extends InvalidInputError {
  override readonly name: string = 'InvalidPemError';
  override readonly code = 'INVALID_PEM';
  constructor(
    readonly source: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${source}: ${detail}`, options);
  }
}

/** The private key does not belong to the leaf certificate. */
export class KeyMismatchError extends InvalidInputError {
  override readonly name: string = 'KeyMismatchError';
  override readonly code = 'KEY_MISMATCH';
}

/** The certificate is not valid at the time of the check. */
export class CertificateValidityError extends InvalidInputError {
  override readonly name: string = 'CertificateValidityError';
  override readonly code = 'CERTIFICATE_NOT_VALID_NOW';
  constructor(
    readonly notBefore: Date,
    readonly notAfter: Date,
    readonly at: Date,
  ) {
    super(
      at < notBefore
        ? `certificate is not valid yet: notBefore ${notBefore.toISOString()}`
        : `certificate expired: notAfter ${notAfter.toISOString()}`,
    );
  }
}

/** The chain is not leaf first, each certificate signed by the next one. */
export class ChainOrderError extends InvalidInputError {
  override readonly name: string = 'ChainOrderError';
  override readonly code = 'CHAIN_OUT_OF_ORDER';
  constructor(
    /** Zero-based position (leaf = 0) of the certificate whose issuer does not follow it. */
    readonly position: number,
  ) {
    super(`chain out of order: certificate ${position} is not issued by certificate ${position + 1}`);
  }
}

/** A keystore could not be opened with the given password, or a password is unusable. */
export class KeystorePasswordError extends InvalidInputError {
  override readonly name: string = 'KeystorePasswordError';
  override readonly code = 'KEYSTORE_PASSWORD';
}

/** Bytes that are not a keystore we can read, or a keystore feature we do not support. */
export class KeystoreFormatError extends InvalidInputError {
  override readonly name: string = 'KeystoreFormatError';
  override readonly code = 'KEYSTORE_FORMAT';
}

/** The CA did not issue; subclasses say why. `problemType` is the ACME problem URN when the CA sent one. */
export class IssuanceError extends AcmeHaError {
  override readonly name: string = 'IssuanceError';
  override readonly code: string = 'ISSUANCE_FAILED';
  constructor(
    message: string,
    readonly problemType: string | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The CA refused for a rate limit; do not ask again before `retryAfter`. */
export class RateLimitedError extends IssuanceError {
  override readonly name: string = 'RateLimitedError';
  override readonly code = 'RATE_LIMITED';
  override readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfter: Date | null,
    problemType: string | null = null,
    options?: ErrorOptions,
  ) {
    super(message, problemType, options);
  }
}

/** A challenge failed at the CA; `detail` is the CA's own explanation. */
export class ValidationFailedError extends IssuanceError {
  override readonly name: string = 'ValidationFailedError';
  override readonly code = 'VALIDATION_FAILED';
}

/** The CA refused the order itself: a blocked name, a bad CSR, an unauthorized account. */
export class OrderRejectedError extends IssuanceError {
  override readonly name: string = 'OrderRejectedError';
  override readonly code = 'ORDER_REJECTED';
}

/** The CA could not be reached or answered with a server error. */
export class CaUnreachableError extends IssuanceError {
  override readonly name: string = 'CaUnreachableError';
  override readonly code = 'CA_UNREACHABLE';
  override readonly retryable = true;
}

/** Another writer published a revision first; this run's result must not be published. */
/** An account operation on a CA the renewer has never ordered from (no saved account). */
export class NoAcmeAccountError extends InvalidInputError {
  override readonly name: string = 'NoAcmeAccountError';
  override readonly code = 'NO_ACME_ACCOUNT';
  constructor(readonly directory: string) {
    super(`no ACME account saved for ${directory}: the renewer has not ordered from it yet`);
  }
}

export class RevisionConflictError extends AcmeHaError {
  override readonly name: string = 'RevisionConflictError';
  override readonly code = 'REVISION_CONFLICT';
  constructor(
    readonly certificateId: string,
    readonly revision: number,
  ) {
    super(`revision ${revision} of ${certificateId} was published by another run`);
  }
}

export class KeystoreNotFoundError extends AcmeHaError {
  override readonly name: string = 'KeystoreNotFoundError';
  override readonly code = 'KEYSTORE_NOT_FOUND';
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`no stored keystore at ${key}`, options);
  }
}

/** A secret (password, EAB key) could not be read; the message names the source, never the value. */
export class SecretUnavailableError extends AcmeHaError {
  override readonly name: string = 'SecretUnavailableError';
  override readonly code = 'SECRET_UNAVAILABLE';
}

/** A DNS record could not be written or removed at the provider. */
export class DnsUpdateError extends AcmeHaError {
  override readonly name: string = 'DnsUpdateError';
  override readonly code = 'DNS_UPDATE_FAILED';
}

/** A server of ours could not listen on its address: taken, not allowed (a port below 1024), or unknown. */
export class ListenError extends AcmeHaError {
  override readonly name: string = 'ListenError';
  override readonly code = 'LISTEN_FAILED';
  constructor(
    readonly host: string,
    readonly port: number,
    /** The system's reason, e.g. EADDRINUSE or EACCES. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}: ${reason}`, options);
  }
}
