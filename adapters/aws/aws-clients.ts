import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type AwsClientConfigs,
  DOCUMENT_CLIENT_OPTIONS,
  dynamodbClientConfig,
  route53ClientConfig,
  s3ClientConfig,
  snsClientConfig,
  sqsClientConfig,
} from './aws-client-configs.ts';

export type { AwsClientConfigs };

export interface AwsClients {
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly route53: Route53Client;
  /** Closes every client's sockets. */
  destroy(): void;
}

/**
 * The AWS SDK clients, with the settings of aws-client-configs.ts. Without configs they take the
 * standard environment (region, credentials, and `AWS_ENDPOINT_URL_<SERVICE>`, which is how another
 * process reaches the embedded stack); tests in the stack's own process pass the stack's client
 * configs.
 */
export function createAwsClients(configs: AwsClientConfigs = {}): AwsClients {
  const dynamodb = new DynamoDBClient(dynamodbClientConfig(configs.dynamodb));
  const s3 = new S3Client(s3ClientConfig(configs.s3));
  const sns = new SNSClient(snsClientConfig(configs.sns));
  const sqs = new SQSClient(sqsClientConfig(configs.sqs));
  const route53 = new Route53Client(route53ClientConfig(configs.route53));
  return {
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, DOCUMENT_CLIENT_OPTIONS),
    s3,
    sns,
    sqs,
    route53,
    destroy: () => {
      for (const client of [dynamodb, s3, sns, sqs, route53]) client.destroy();
    },
  };
}
