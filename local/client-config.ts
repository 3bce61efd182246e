/**
 * How AWS SDK clients reach the embedded stack: endpoint overrides, one region, fake credentials —
 * as client configs for code in this process and as the standard environment variables for
 * any other process (the SDK reads AWS_ENDPOINT_URL_<SERVICE> by itself).
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import type { ResourceClients } from './resources.ts';
import { S3RVER_CREDENTIALS } from './s3.ts';

export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly s3: string;
  readonly sqs: string;
  readonly sns: string;
}

export interface LocalClientConfigs {
  readonly dynamodb: DynamoDBClientConfig;
  readonly s3: S3ClientConfig;
  readonly sqs: SQSClientConfig;
  readonly sns: SNSClientConfig;
}

/** One fake key pair suits every service: only s3rver checks it. */
function common(region: string) {
  return { region, credentials: { ...S3RVER_CREDENTIALS } };
}

export function localDynamoDbConfig(endpoint: string, region: string): DynamoDBClientConfig {
  return { ...common(region), endpoint };
}

export function localS3Config(endpoint: string, region: string): S3ClientConfig {
  return {
    ...common(region),
    endpoint,
    forcePathStyle: true,
    // With the SDK's default checksums, streamed uploads reach s3rver in aws-chunked framing and
    // are stored corrupted, without any error.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

export function localSqsConfig(endpoint: string, region: string): SQSClientConfig {
  return { ...common(region), endpoint };
}

export function localSnsConfig(endpoint: string, region: string): SNSClientConfig {
  return { ...common(region), endpoint };
}

/** SDK client configs for every service of the stack. */
export function localClientConfigs(endpoints: LocalEndpoints, region: string): LocalClientConfigs {
  return {
    dynamodb: localDynamoDbConfig(endpoints.dynamodb, region),
    s3: localS3Config(endpoints.s3, region),
    sqs: localSqsConfig(endpoints.sqs, region),
    sns: localSnsConfig(endpoints.sns, region),
  };
}

/** The environment a client process needs to use the stack through the standard SDK settings. */
export function localClientEnv(endpoints: LocalEndpoints, region: string): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
}

/** Clients made from the configs, plus one call that closes all their sockets. */
export function createLocalClients(configs: LocalClientConfigs): ResourceClients & { destroy(): void } {
  const clients = {
    dynamodb: new DynamoDBClient(configs.dynamodb),
    s3: new S3Client(configs.s3),
    sqs: new SQSClient(configs.sqs),
    sns: new SNSClient(configs.sns),
  };
  return {
    ...clients,
    destroy: () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}
