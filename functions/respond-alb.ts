/**
 * ALB target for the listener rule `/.well-known/acme-challenge/*`: looks the token up in DynamoDB.
 */

import { respondToChallenge } from '../core/challenge/respond.ts';
import type { ChallengeStore } from '../core/ports/challenge-store.ts';

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

export function createAlbResponder(
  store: Pick<ChallengeStore, 'get'>,
): (event: AlbEvent) => Promise<AlbResult> {
  return async (event) => {
    const response = await respondToChallenge(event.httpMethod, event.path, store);
    return {
      statusCode: response.status,
      statusDescription: REASONS[response.status] ?? String(response.status),
      headers: { ...response.headers },
      body: response.body,
      isBase64Encoded: false,
    };
  };
}
