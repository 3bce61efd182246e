import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ChallengeStore } from '../../core/ports/challenge-store.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { challengeKey } from '../../core/table-keys.ts';

/**
 * HTTP-01 tokens in DynamoDB; readers check the expiry themselves (TTL deletes lazily). The expiry
 * is kept twice: `validUntil` (ms) is what a read judges by, `expiresAt` (epoch seconds, rounded
 * up) is only for TTL. Judging by `expiresAt` served a token up to a second after its expiry,
 * which the port rules out (found by test/contract/challenge-store.contract.ts).
 */
export class DynamoChallengeStore implements ChallengeStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async put(token: string, keyAuthorization: string, expiresAt: Date): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...challengeKey(token),
          keyAuthorization,
          validUntil: expiresAt.getTime(),
          expiresAt: Math.ceil(expiresAt.getTime() / 1000),
        },
      }),
    );
  }

  async get(token: string): Promise<string | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: challengeKey(token), ConsistentRead: true }),
    );
    if (!Item || typeof Item.keyAuthorization !== 'string') return null;
    // Items written before `validUntil` existed carry only the TTL seconds; they live an hour.
    const validUntil =
      typeof Item.validUntil === 'number'
        ? Item.validUntil
        : typeof Item.expiresAt === 'number'
          ? Item.expiresAt * 1000
          : null;
    if (validUntil !== null && validUntil <= this.clock.now().getTime()) return null;
    return Item.keyAuthorization;
  }

  async remove(token: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: challengeKey(token) }));
  }
}
