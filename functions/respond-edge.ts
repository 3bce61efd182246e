/**
 * CloudFront origin-request (Lambda@Edge): answers challenge paths from DynamoDB and passes every
 * other request on to the origin unchanged. Lambda@Edge has no environment variables, so the table
 * and its region come from a small JSON file deployed beside the code (cdk/responder.ts writes it).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChallengeStore } from '../adapters/aws/dynamo-challenge-store.ts';
import { type ChallengeLookup, isChallengePath, respondToChallenge } from '../core/challenge/respond.ts';
import { AcmeHaError } from '../core/errors.ts';
import { systemClock } from '../core/ports/clock.ts';
import { lambdaChallenges } from './commons/challenge-lookup.ts';

/** The table and its home region, beside the code (cdk/responder.ts: EDGE_SETTINGS_FILE). */
export interface EdgeSettings {
  readonly table: string;
  readonly region: string;
}

/** The settings file is missing or not what cdk/responder.ts writes; the function cannot answer. */
export class EdgeSettingsError extends AcmeHaError {
  override readonly name: string = 'EdgeSettingsError';
  override readonly code = 'EDGE_SETTINGS';
  constructor(
    /** Path of the settings file. */
    readonly file: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`acme-ha edge responder: ${file} ${detail}`, options);
  }
}

/**
 * Reads and checks the settings file (beside this module once built: dist/functions/respond-edge/).
 * @throws EdgeSettingsError when it is missing, not JSON, or lacks the table or region
 */
export function readEdgeSettings(url: URL = new URL('./acme-ha-edge.json', import.meta.url)): EdgeSettings {
  const file = fileURLToPath(url);
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch (error) {
    throw new EdgeSettingsError(
      file,
      'cannot be read: deploy the function with the acme-ha CDK constructs, which write it beside the code',
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EdgeSettingsError(file, 'is not JSON', { cause: error });
  }
  const { table, region } = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  if (typeof table !== 'string' || table === '' || typeof region !== 'string' || region === '')
    throw new EdgeSettingsError(file, 'must hold { "table": "<name>", "region": "<region>" }');
  return { table, region };
}

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
  challenges: ChallengeLookup,
): (event: CloudFrontRequestEvent) => Promise<CloudFrontRequest | CloudFrontResponse> {
  return async (event) => {
    const request = event.Records[0]?.cf.request;
    if (!request) throw new Error('not a CloudFront origin-request event');
    if (!isChallengePath(request.uri)) return request;
    const response = await respondToChallenge(request.method, request.uri, challenges);
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

/**
 * The Lambda@Edge entry point; it reads the table in its home region, whatever edge runs it. The
 * settings are read at the first request of a container, so a missing file fails every request
 * with its reason (and importing this module, as the tests do, needs no file).
 */
export async function handler(
  event: CloudFrontRequestEvent,
): Promise<CloudFrontRequest | CloudFrontResponse> {
  if (!edgeHandler) {
    const { table, region } = readEdgeSettings();
    edgeHandler = createEdgeResponder(
      lambdaChallenges(
        new DynamoChallengeStore(
          DynamoDBDocumentClient.from(new DynamoDBClient({ region })),
          table,
          systemClock,
        ),
      ),
    );
  }
  return edgeHandler(event);
}
