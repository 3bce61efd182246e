import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ChallengeStore } from '../../core/ports/challenge-store.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { challengeKey } from '../../core/table-keys.ts';

/** HTTP-01 tokens in DynamoDB; readers check `expiresAt` themselves (TTL deletes lazily). */
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
        Item: { ...challengeKey(token), keyAuthorization, expiresAt: Math.ceil(expiresAt.getTime() / 1000) },
      }),
    );
  }

  async get(token: string): Promise<string | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: challengeKey(token), ConsistentRead: true }),
    );
    if (!Item || typeof Item.keyAuthorization !== 'string') return null;
    if (typeof Item.expiresAt === 'number' && Item.expiresAt * 1000 <= this.clock.now().getTime())
      return null;
    return Item.keyAuthorization;
  }

  async remove(token: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: challengeKey(token) }));
  }
}
