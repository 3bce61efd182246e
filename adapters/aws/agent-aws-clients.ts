import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type AwsClientConfigs,
  DOCUMENT_CLIENT_OPTIONS,
  dynamodbClientConfig,
  s3ClientConfig,
  sqsClientConfig,
} from './aws-client-configs.ts';

/**
 * The node agent's AWS clients: DynamoDB and SQS, which an idle agent uses all the time, and S3,
 * which it needs only to download a new revision; `status` uses them too. No SNS or Route 53 client:
 * the agent never calls them, so their SDK modules are neither in its bundle nor in its memory.
 */
export interface AgentAwsClients {
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  /** The S3 client, made (and its SDK module loaded) on the first call; the same one after. */
  s3(): Promise<S3Client>;
  /** Closes every client's sockets. */
  destroy(): void;
}

/** The same settings as createAwsClients (aws-client-configs.ts), for the clients the agent uses. */
export function createAgentAwsClients(
  configs: Pick<AwsClientConfigs, 'dynamodb' | 's3' | 'sqs'> = {},
): AgentAwsClients {
  const dynamodb = new DynamoDBClient(dynamodbClientConfig(configs.dynamodb));
  const sqs = new SQSClient(sqsClientConfig(configs.sqs));
  let s3: Promise<S3Client> | undefined;
  let made: S3Client | undefined;
  let destroyed = false;
  return {
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, DOCUMENT_CLIENT_OPTIONS),
    sqs,
    s3: () => {
      s3 ??= import('@aws-sdk/client-s3').then(
        ({ S3Client }) => {
          made = new S3Client(s3ClientConfig(configs.s3));
          if (destroyed) made.destroy();
          return made;
        },
        (error: unknown) => {
          s3 = undefined;
          throw error;
        },
      );
      return s3;
    },
    destroy: () => {
      destroyed = true;
      for (const client of [dynamodb, sqs, made]) client?.destroy();
    },
  };
}
