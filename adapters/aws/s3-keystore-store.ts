import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { KeystoreNotFoundError } from '../../core/errors.ts';
import type { KeystoreStore } from '../../core/ports/keystore-store.ts';

/** Keystore objects in S3, encrypted with the project's KMS key (SSE-KMS) on every write. */
export class S3KeystoreStore implements KeystoreStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    /** KMS key id or ARN; omitted, the bucket's default encryption applies. */
    private readonly kmsKeyId?: string,
  ) {}

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        ContentType: 'application/octet-stream',
        ServerSideEncryption: 'aws:kms',
        ...(this.kmsKeyId ? { SSEKMSKeyId: this.kmsKeyId } : {}),
      }),
    );
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await this.read(key);
    } catch (error) {
      // The SDK retries a failed request, but not a body cut off while streaming (a kept-alive
      // socket closed by the server at that moment: Node's "aborted", ECONNRESET). One more read.
      if (!isCutOffBody(error)) throw error;
      return this.read(key);
    }
  }

  private async read(key: string): Promise<Buffer> {
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!response.Body) throw new KeystoreNotFoundError(key);
      return Buffer.from(await response.Body.transformToByteArray());
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
        throw new KeystoreNotFoundError(key, { cause: error });
      }
      throw error;
    }
  }
}

function isCutOffBody(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === 'ECONNRESET' || message === 'aborted';
}
