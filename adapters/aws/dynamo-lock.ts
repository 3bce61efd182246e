import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/ports/clock.ts';
import type { Lease, Lock } from '../../core/ports/lock.ts';
import { lockKey } from '../../core/table-keys.ts';

/**
 * Leases as DynamoDB items written with a condition: free, or expired. No transactions (dynalite
 * lacks them, and one conditional write is enough). Release deletes only our own token.
 */
export class DynamoLock implements Lock {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async acquire(name: string, owner: string, ttlMs: number): Promise<Lease | null> {
    const now = this.clock.now().getTime();
    const lease: Lease = { name, owner, token: randomUUID(), expiresAt: new Date(now + ttlMs) };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...lockKey(name),
            owner,
            token: lease.token,
            leaseUntil: lease.expiresAt.getTime(),
            // TTL clean-up a day after expiry; correctness relies on leaseUntil, not on TTL.
            expiresAt: Math.ceil(lease.expiresAt.getTime() / 1000) + 86_400,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return lease;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw error;
    }
  }

  async release(lease: Lease): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: lockKey(lease.name),
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': lease.token },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
