/**
 * A DynamoDB document client alone, for functions that read only the table (fleet-watch): the same
 * settings as every other client (adapters/aws/aws-client-configs.ts), without the S3, SNS, SQS and
 * Route 53 clients in the bundle. Made once per container.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DOCUMENT_CLIENT_OPTIONS, dynamodbClientConfig } from '../../adapters/aws/aws-client-configs.ts';

let documents: DynamoDBDocumentClient | undefined;

export function tableClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(
    new DynamoDBClient(dynamodbClientConfig()),
    DOCUMENT_CLIENT_OPTIONS,
  );
  return documents;
}
