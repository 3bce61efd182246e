/**
 * Makes a server load the keystore files that were just written: a command
 * (`systemctl reload nginx`), a signal to a pid, an HTTP call, or the HAProxy runtime API.
 *
 * - Errors: throws {@link ReloadFailedError} when the action fails or does not finish within its
 *   timeout; the server may then still serve the old certificate (the caller probes to find out).
 * - Idempotency: reloading twice with the same files must be harmless; the rollback path relies on
 *   it (restore the backup, reload again).
 * - Concurrency: one call at a time per reloader; the sync use case serialises them.
 */
export interface Reloader {
  /** One line naming the action for logs and status, e.g. `command nginx -s reload`; never secrets. */
  readonly description: string;
  reload(): Promise<void>;
}
