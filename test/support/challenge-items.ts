import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { PENDING_CHALLENGES_KEY, PENDING_TOKEN_PREFIX } from '../../core/table-keys.ts';

/**
 * Challenge tokens left in the table after an order: token items (`CHALLENGE#<token>`/`TOKEN`) and
 * tokens in the record of those in flight. An order cleans up after itself: 0.
 */
export async function challengeTokensLeft(documents: DynamoDBDocumentClient, table: string): Promise<number> {
  const { Items = [] } = await documents.send(new ScanCommand({ TableName: table }));
  const tokenItems = Items.filter((item) => String(item.pk).startsWith('CHALLENGE#') && item.sk === 'TOKEN');
  const inFlight = Items.filter(
    (item) => item.pk === PENDING_CHALLENGES_KEY.pk && item.sk === PENDING_CHALLENGES_KEY.sk,
  ).flatMap((item) => Object.keys(item).filter((name) => name.startsWith(PENDING_TOKEN_PREFIX)));
  return tokenItems.length + inFlight.length;
}
