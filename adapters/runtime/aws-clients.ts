import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { Route53Client, type Route53ClientConfig } from '@aws-sdk/client-route-53';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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

export interface AwsClientConfigs {
  readonly dynamodb?: DynamoDBClientConfig;
  readonly s3?: S3ClientConfig;
  readonly sns?: SNSClientConfig;
  readonly sqs?: SQSClientConfig;
  readonly route53?: Route53ClientConfig;
}

/**
 * Every request gives up: a store that accepts connections and never answers must fail a sync or a
 * renewal, not stall it. 30 s exceeds the longest call we make (a 20 s SQS long poll). Without
 * `throwOnRequestTimeout`, the SDK (3.1162) only logs a warning when the timeout passes and waits on.
 */
const REQUEST_HANDLER = {
  connectionTimeout: 3_000,
  requestTimeout: 30_000,
  throwOnRequestTimeout: true,
} as const;

/**
 * The AWS SDK clients. Without configs they take the standard environment (region, credentials, and
 * `AWS_ENDPOINT_URL_<SERVICE>`, which is how another process reaches the embedded stack); tests in
 * the stack's own process pass the stack's client configs. S3 computes checksums only when required
 * and uses path-style addressing under an endpoint override, which s3rver needs and S3 accepts.
 */
export function createAwsClients(configs: AwsClientConfigs = {}): AwsClients {
  const dynamodb = new DynamoDBClient({
    maxAttempts: 3,
    requestHandler: REQUEST_HANDLER,
    ...configs.dynamodb,
  });
  const s3 = new S3Client({
    maxAttempts: 3,
    requestHandler: REQUEST_HANDLER,
    forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...configs.s3,
  });
  const sns = new SNSClient({ maxAttempts: 3, requestHandler: REQUEST_HANDLER, ...configs.sns });
  const sqs = new SQSClient({ maxAttempts: 3, requestHandler: REQUEST_HANDLER, ...configs.sqs });
  // Route 53 is global; its API lives in us-east-1 whatever the stack's region.
  const route53 = new Route53Client({
    maxAttempts: 3,
    requestHandler: REQUEST_HANDLER,
    region: 'us-east-1',
    ...configs.route53,
  });
  return {
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    s3,
    sns,
    sqs,
    route53,
    destroy: () => {
      for (const client of [dynamodb, s3, sns, sqs, route53]) client.destroy();
    },
  };
}
