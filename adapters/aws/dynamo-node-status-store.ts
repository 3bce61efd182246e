import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { NodeStatus, NodeStatusStore } from '../../core/ports/node-status-store.ts';
import { NODE_STATUS_PREFIX, nodeStatusKey } from '../../core/table-keys.ts';

/** Node reports as items `CERT#<id>` / `NODE#<node>`: one Query per certificate lists the fleet. */
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
}
