/**
 * Lambda function URL target: answers `/.well-known/acme-challenge/<token>` from DynamoDB, for
 * setups where the load balancer or the node's port-80 responder redirects challenge requests here
 * (the CA follows redirects to HTTPS).
 */
import { DynamoChallengeStore } from '../adapters/aws/dynamo-challenge-store.ts';
import { type ChallengeLookup, respondToChallenge } from '../core/challenge/respond.ts';
import { systemClock } from '../core/ports/clock.ts';
import { lambdaChallenges } from './commons/challenge-lookup.ts';
import { awsClients } from './commons/runtime.ts';

/** The part of a function URL event (payload format 2.0) the responder reads. */
export interface FunctionUrlEvent {
  readonly rawPath: string;
  readonly requestContext: { readonly http: { readonly method: string } };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

export function createUrlResponder(
  challenges: ChallengeLookup,
): (event: FunctionUrlEvent) => Promise<FunctionUrlResult> {
  return async (event) => {
    const response = await respondToChallenge(event.requestContext.http.method, event.rawPath, challenges);
    return {
      statusCode: response.status,
      headers: { ...response.headers },
      body: response.body,
      isBase64Encoded: false,
    };
  };
}

let urlHandler: ((event: FunctionUrlEvent) => Promise<FunctionUrlResult>) | undefined;

/** The Lambda entry point; the table comes from ACME_HA_TABLE. */
export function handler(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
  const table = process.env.ACME_HA_TABLE;
  if (!table) throw new Error('ACME_HA_TABLE is not set');
  urlHandler ??= createUrlResponder(
    lambdaChallenges(new DynamoChallengeStore(awsClients().documents, table, systemClock)),
  );
  return urlHandler(event);
}
