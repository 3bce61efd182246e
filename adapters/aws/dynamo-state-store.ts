import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RevisionConflictError } from '../../core/errors.ts';
import type { CertificateStateStore } from '../../core/ports/certificate-state-store.ts';
import type { CertificateState, FailureState, RenewalWindow, Revision } from '../../core/renewal/types.ts';
import { certificateStateKey, revisionKey } from '../../core/table-keys.ts';

/**
 * Certificate state and revision records in DynamoDB. `publish` writes the immutable revision item
 * first (condition: new), then moves the state item's pointer (condition: still at the previous
 * revision): two conditional writes, each a fence, no transaction needed.
 */
export class DynamoStateStore implements CertificateStateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(certificateId: string): Promise<CertificateState> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: certificateStateKey(certificateId),
        ConsistentRead: true,
      }),
    );
    return {
      certificateId,
      current: (Item?.current as Revision | undefined) ?? null,
      window: (Item?.window as RenewalWindow | undefined) ?? null,
      failure: (Item?.failure as FailureState | undefined) ?? null,
    };
  }

  async publish(revision: Revision): Promise<void> {
    const id = revision.certificateId;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...revisionKey(id, revision.revision), revision: toItem(revision) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: certificateStateKey(id),
          UpdateExpression: 'SET #current = :current, currentRevision = :revision REMOVE failure',
          ConditionExpression:
            revision.revision === 1 ? 'attribute_not_exists(currentRevision)' : 'currentRevision = :previous',
          ExpressionAttributeNames: { '#current': 'current' },
          ExpressionAttributeValues: {
            ':current': toItem(revision),
            ':revision': revision.revision,
            ...(revision.revision === 1 ? {} : { ':previous': revision.revision - 1 }),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new RevisionConflictError(id, revision.revision);
      throw error;
    }
  }

  async getRevision(certificateId: string, revision: number): Promise<Revision | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: revisionKey(certificateId, revision),
        ConsistentRead: true,
      }),
    );
    return (Item?.revision as Revision | undefined) ?? null;
  }

  async recordFailure(certificateId: string, failure: FailureState): Promise<void> {
    await this.set(certificateId, 'failure', failure);
  }

  async recordWindow(certificateId: string, window: RenewalWindow | null): Promise<void> {
    await this.set(certificateId, 'window', window);
  }

  private async set(certificateId: string, attribute: string, value: unknown): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: certificateStateKey(certificateId),
        UpdateExpression: value === null ? 'REMOVE #a' : 'SET #a = :v',
        ExpressionAttributeNames: { '#a': attribute },
        ...(value === null ? {} : { ExpressionAttributeValues: { ':v': toItem(value) } }),
      }),
    );
  }
}

/** Plain JSON data (undefined fields dropped), as DynamoDB maps store it. */
function toItem<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
