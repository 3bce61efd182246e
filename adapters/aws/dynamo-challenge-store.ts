import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ChallengeStore, PendingChallenge } from '../../core/ports/challenge-store.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { challengeKey, PENDING_CHALLENGES_KEY, PENDING_TOKEN_PREFIX } from '../../core/table-keys.ts';

/**
 * HTTP-01 tokens in DynamoDB. Each token is an attribute of one item, `CHALLENGE#pending`/`PENDING`
 * (`token:<token>` → key authorization and `validUntil` in ms), so a responder reads every token in
 * flight with one GetItem; attributes at the top level, so that a put or remove is one UpdateItem
 * without a map to create first. Readers judge expiry themselves.
 *
 * Each token is also written as an item of its own (`CHALLENGE#<token>`, with a TTL attribute):
 * what responders of acme-ha 0.2 look up, so nodes not yet upgraded still answer during an upgrade.
 * The expiry is kept twice there: `validUntil` (ms) is what a read judges by, `expiresAt` (epoch
 * seconds, rounded up) is only for TTL.
 */
export class DynamoChallengeStore implements ChallengeStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async put(token: string, keyAuthorization: string, expiresAt: Date): Promise<void> {
    const validUntil = expiresAt.getTime();
    await Promise.all([
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: PENDING_CHALLENGES_KEY,
          UpdateExpression: 'SET #token = :entry',
          ExpressionAttributeNames: { '#token': `${PENDING_TOKEN_PREFIX}${token}` },
          ExpressionAttributeValues: { ':entry': { keyAuthorization, validUntil } },
        }),
      ),
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...challengeKey(token),
            keyAuthorization,
            validUntil,
            expiresAt: Math.ceil(validUntil / 1000),
          },
        }),
      ),
    ]);
  }

  async pending(): Promise<PendingChallenge[]> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: PENDING_CHALLENGES_KEY, ConsistentRead: true }),
    );
    const now = this.clock.now().getTime();
    return Object.entries(Item ?? {}).flatMap(([name, value]): PendingChallenge[] => {
      if (!name.startsWith(PENDING_TOKEN_PREFIX)) return [];
      const { keyAuthorization, validUntil } = (value ?? {}) as Record<string, unknown>;
      if (typeof keyAuthorization !== 'string' || typeof validUntil !== 'number' || validUntil <= now)
        return [];
      return [{ token: name.slice(PENDING_TOKEN_PREFIX.length), keyAuthorization, validUntil }];
    });
  }

  async remove(token: string): Promise<void> {
    await Promise.all([
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: PENDING_CHALLENGES_KEY,
          UpdateExpression: 'REMOVE #token',
          ExpressionAttributeNames: { '#token': `${PENDING_TOKEN_PREFIX}${token}` },
        }),
      ),
      this.db.send(new DeleteCommand({ TableName: this.table, Key: challengeKey(token) })),
    ]);
  }
}
