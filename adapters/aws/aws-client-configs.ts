import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { Route53ClientConfig } from '@aws-sdk/client-route-53';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { SNSClientConfig } from '@aws-sdk/client-sns';
import type { SQSClientConfig } from '@aws-sdk/client-sqs';

/*
 * The settings of every AWS SDK client the project makes, without the clients (type imports only):
 * aws-clients.ts builds all of them, agent-aws-clients.ts only what the node agent needs, and
 * neither loads an SDK module the other does not need.
 */

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

/** Retries and timeouts every client shares, under the caller's own settings. */
function withDefaults<T extends object>(config: T | undefined, more: Partial<T> = {}): T {
  return { maxAttempts: 3, requestHandler: REQUEST_HANDLER, ...more, ...config } as T;
}

export function dynamodbClientConfig(config?: DynamoDBClientConfig): DynamoDBClientConfig {
  return withDefaults(config);
}

/**
 * S3 computes checksums only when required and uses path-style addressing under an endpoint
 * override, which s3rver needs and S3 accepts.
 */
export function s3ClientConfig(config?: S3ClientConfig): S3ClientConfig {
  return withDefaults(config, {
    forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function snsClientConfig(config?: SNSClientConfig): SNSClientConfig {
  return withDefaults(config);
}

export function sqsClientConfig(config?: SQSClientConfig): SQSClientConfig {
  return withDefaults(config);
}

/** Route 53 is global; its API lives in us-east-1 whatever the stack's region. */
export function route53ClientConfig(config?: Route53ClientConfig): Route53ClientConfig {
  return withDefaults(config, { region: 'us-east-1' });
}

/** How the document client marshals items. */
export const DOCUMENT_CLIENT_OPTIONS = { marshallOptions: { removeUndefinedValues: true } } as const;
