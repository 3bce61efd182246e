import { AcmeHaError } from '../errors.ts';

/** A DMZ receiver gave no usable answer (down, TLS or pin failure, timeout); try again later. */
export class DmzUnreachableError extends AcmeHaError {
  override readonly name: string = 'DmzUnreachableError';
  override readonly code = 'DMZ_UNREACHABLE';
  override readonly retryable = true;
  constructor(
    readonly dmzId: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`DMZ ${dmzId}: ${message}`, options);
  }
}

/** A push the receiver refuses before the sync starts (malformed, wrong hash, unknown certificate). */
export class PushRefusedError extends AcmeHaError {
  override readonly name: string = 'PushRefusedError';
  override readonly code: string;
  constructor(
    code: 'PAYLOAD_INVALID' | 'PAYLOAD_HASH_MISMATCH' | 'CERTIFICATE_MISMATCH' | 'NOT_SERVED_HERE',
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
    this.code = code;
  }
}
