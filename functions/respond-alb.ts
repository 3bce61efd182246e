/**
 * ALB target for the listener rule `/.well-known/acme-challenge/*`: looks the token up in DynamoDB.
 */
import { DynamoChallengeStore } from '../adapters/aws/dynamo-challenge-store.ts';
import { type ChallengeLookup, respondToChallenge } from '../core/challenge/respond.ts';
import { systemClock } from '../core/ports/clock.ts';
import { lambdaChallenges } from './commons/challenge-lookup.ts';
import { awsClients } from './commons/runtime.ts';

export interface AlbEvent {
  readonly httpMethod: string;
  readonly path: string;
}

export interface AlbResult {
  readonly statusCode: number;
  readonly statusDescription: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

const REASONS: Record<number, string> = {
  200: '200 OK',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
};

export function createAlbResponder(challenges: ChallengeLookup): (event: AlbEvent) => Promise<AlbResult> {
  return async (event) => {
    const response = await respondToChallenge(event.httpMethod, event.path, challenges);
    return {
      statusCode: response.status,
      statusDescription: REASONS[response.status] ?? String(response.status),
      headers: { ...response.headers },
      body: response.body,
      isBase64Encoded: false,
    };
  };
}

let albHandler: ((event: AlbEvent) => Promise<AlbResult>) | undefined;

/** The Lambda entry point; the table comes from ACME_HA_TABLE. */
export function handler(event: AlbEvent): Promise<AlbResult> {
  const table = process.env.ACME_HA_TABLE;
  if (!table) throw new Error('ACME_HA_TABLE is not set');
  albHandler ??= createAlbResponder(
    lambdaChallenges(new DynamoChallengeStore(awsClients().documents, table, systemClock)),
  );
  return albHandler(event);
}
