import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  newRollout,
  type Rollout,
  type RolloutJoin,
  type RolloutStore,
} from '../../core/ports/rollout-store.ts';
import { rolloutKey } from '../../core/table-keys.ts';

/**
 * Rollout records (`CERT#<id>` / `ROLLOUT#<revision>`), each change one conditional write: the
 * first `join` creates the record (attribute_not_exists) and is the canary; `promote` moves
 * canary → rolling only for the canary; `halt` wins over anything but an earlier halt; `takeOver`
 * succeeds once, after the deadline.
 */
export class DynamoRolloutStore implements RolloutStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async join(request: RolloutJoin): Promise<Rollout> {
    const record = newRollout(request);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...rolloutKey(request.certificateId, request.revision), ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return record;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.get(request.certificateId, request.revision);
    if (!existing)
      throw new Error(`rollout of ${request.certificateId} revision ${request.revision} vanished`);
    return existing;
  }

  async get(certificateId: string, revision: number): Promise<Rollout | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: rolloutKey(certificateId, revision),
        ConsistentRead: true,
      }),
    );
    return Item ? toRollout(Item) : null;
  }

  async promote(certificateId: string, revision: number, nodeId: string, now: Date): Promise<Rollout | null> {
    return this.update(
      certificateId,
      revision,
      'SET #state = :rolling, updatedAt = :now',
      '#state = :canary AND canary = :node',
      { ':rolling': 'rolling', ':canary': 'canary', ':node': nodeId, ':now': now.toISOString() },
    );
  }

  async halt(
    certificateId: string,
    revision: number,
    nodeId: string,
    reason: string,
    now: Date,
  ): Promise<Rollout | null> {
    return this.update(
      certificateId,
      revision,
      'SET #state = :halted, haltedBy = :node, reason = :reason, updatedAt = :now',
      'attribute_exists(pk) AND #state <> :halted',
      { ':halted': 'halted', ':node': nodeId, ':reason': reason, ':now': now.toISOString() },
    );
  }

  async takeOver(request: RolloutJoin): Promise<Rollout | null> {
    const now = request.now.toISOString();
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: rolloutKey(request.certificateId, request.revision),
          UpdateExpression: 'SET canary = :node, canaryDeadline = :deadline, updatedAt = :now',
          ConditionExpression: '#state = :canary AND canaryDeadline < :now',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':node': request.nodeId,
            ':deadline': request.canaryDeadline.toISOString(),
            ':now': now,
            ':canary': 'canary',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toRollout(Attributes) : null;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw error;
    }
  }

  private async update(
    certificateId: string,
    revision: number,
    expression: string,
    condition: string,
    values: Record<string, string>,
  ): Promise<Rollout | null> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: rolloutKey(certificateId, revision),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toRollout(Attributes) : null;
    } catch (error) {
      // Lost the condition (already promoted, halted by someone else): the record says what holds.
      if (error instanceof ConditionalCheckFailedException) return this.get(certificateId, revision);
      throw error;
    }
  }
}

function toRollout(item: Record<string, unknown>): Rollout {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as Rollout;
}
