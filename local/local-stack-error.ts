import { AcmeHaError } from '../core/errors.ts';

/**
 * A server of the embedded stack (Pebble, the DNS stub, an emulator, the SNS stand-in) failed to
 * start, answer or stop. `component` names the server; the message carries its last output lines.
 */
export class LocalStackError extends AcmeHaError {
  override readonly name: string = 'LocalStackError';
  override readonly code: string = 'LOCAL_STACK_FAILED';
  constructor(
    readonly component: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${component}: ${detail}`, options);
  }
}
