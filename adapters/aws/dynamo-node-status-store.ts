import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { NodeStatus, NodeStatusStore } from '../../core/ports/node-status-store.ts';
import { NODE_STATUS_PREFIX, nodeHeartbeatKey, nodeStatusKey } from '../../core/table-keys.ts';

/** BatchGetItem's limit of keys per call. */
const BATCH_KEYS = 100;
/** Rounds for keys DynamoDB left unprocessed (throttling) before the read fails. */
const BATCH_ROUNDS = 5;

/**
 * Node reports as items `CERT#<id>` / `NODE#<node>`: one Query per certificate lists the fleet.
 * Heartbeats as items `NODE#<node>` / `HEARTBEAT`, read in batches of 100.
 */
export class DynamoNodeStatusStore implements NodeStatusStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(status: NodeStatus): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...nodeStatusKey(status.certificateId, status.nodeId), status },
      }),
    );
  }

  async get(certificateId: string, nodeId: string): Promise<NodeStatus | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: nodeStatusKey(certificateId, nodeId),
        ConsistentRead: true,
      }),
    );
    return (Item?.status as NodeStatus | undefined) ?? null;
  }

  async list(certificateId: string): Promise<NodeStatus[]> {
    const statuses: NodeStatus[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: {
            ':pk': nodeStatusKey(certificateId, '').pk,
            ':prefix': NODE_STATUS_PREFIX,
          },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) statuses.push(item.status as NodeStatus);
      start = page.LastEvaluatedKey;
    } while (start);
    return statuses.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }

  async beat(nodeId: string, at: Date): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...nodeHeartbeatKey(nodeId), nodeId, updatedAt: at.toISOString() },
      }),
    );
  }

  async heartbeats(nodeIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const beats = new Map<string, string>();
    const unique = [...new Set(nodeIds)];
    for (let i = 0; i < unique.length; i += BATCH_KEYS) {
      let keys: Record<string, unknown>[] = unique
        .slice(i, i + BATCH_KEYS)
        .map((id) => ({ ...nodeHeartbeatKey(id) }));
      for (let round = 0; keys.length > 0; round++) {
        if (round === BATCH_ROUNDS)
          throw new Error(`DynamoDB left ${keys.length} heartbeat keys unprocessed ${BATCH_ROUNDS} times`);
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
        const { Responses, UnprocessedKeys } = await this.db.send(
          new BatchGetCommand({
            RequestItems: {
              [this.table]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'nodeId, updatedAt' },
            },
          }),
        );
        for (const item of Responses?.[this.table] ?? [])
          if (typeof item.nodeId === 'string' && typeof item.updatedAt === 'string')
            beats.set(item.nodeId, item.updatedAt);
        keys = UnprocessedKeys?.[this.table]?.Keys ?? [];
      }
    }
    return beats;
  }
}
