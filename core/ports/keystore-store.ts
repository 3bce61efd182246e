/**
 * Object storage for keystore files (S3 with SSE-KMS in AWS). Objects are written once under a key
 * that names the certificate and revision, and never changed.
 */
export interface KeystoreStore {
  /** Writes an object; idempotent for the same key and bytes. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** @throws KeystoreNotFoundError when the key does not exist */
  get(key: string): Promise<Buffer>;
}
