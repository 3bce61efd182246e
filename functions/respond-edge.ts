/**
 * CloudFront origin-request (Lambda@Edge): answers challenge paths from DynamoDB and passes every
 * other request on to the origin unchanged. Lambda@Edge has no environment variables, so the table
 * and region are compiled into the bundle (see cdk/).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChallengeStore } from '../adapters/aws/dynamo-challenge-store.ts';
import { isChallengePath, respondToChallenge } from '../core/challenge/respond.ts';
import type { ChallengeStore } from '../core/ports/challenge-store.ts';
import { systemClock } from '../core/ports/clock.ts';

/** Replaced at bundling time by cdk/ (esbuild `define`): Lambda@Edge has no environment variables. */
declare const ACME_HA_EDGE_TABLE: string;
declare const ACME_HA_EDGE_REGION: string;

export interface CloudFrontRequest {
  readonly method: string;
  readonly uri: string;
  readonly [key: string]: unknown;
}

export interface CloudFrontRequestEvent {
  readonly Records: readonly { readonly cf: { readonly request: CloudFrontRequest } }[];
}

export interface CloudFrontResponse {
  readonly status: string;
  readonly statusDescription: string;
  readonly headers: Record<string, { key: string; value: string }[]>;
  readonly body: string;
}

export function createEdgeResponder(
  store: Pick<ChallengeStore, 'get'>,
): (event: CloudFrontRequestEvent) => Promise<CloudFrontRequest | CloudFrontResponse> {
  return async (event) => {
    const request = event.Records[0]?.cf.request;
    if (!request) throw new Error('not a CloudFront origin-request event');
    if (!isChallengePath(request.uri)) return request;
    const response = await respondToChallenge(request.method, request.uri, store);
    const headers: CloudFrontResponse['headers'] = {};
    for (const [key, value] of Object.entries(response.headers)) headers[key] = [{ key, value }];
    return {
      status: String(response.status),
      statusDescription: response.status === 200 ? 'OK' : 'Not Found',
      headers,
      body: response.body,
    };
  };
}

let edgeHandler: ReturnType<typeof createEdgeResponder> | undefined;

/** The Lambda@Edge entry point; it reads the table in its home region, whatever edge runs it. */
export function handler(event: CloudFrontRequestEvent): Promise<CloudFrontRequest | CloudFrontResponse> {
  edgeHandler ??= createEdgeResponder(
    new DynamoChallengeStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: ACME_HA_EDGE_REGION })),
      ACME_HA_EDGE_TABLE,
      systemClock,
    ),
  );
  return edgeHandler(event);
}
