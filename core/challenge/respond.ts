import type { ChallengeStore } from '../ports/challenge-store.ts';

export const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
/** ACME tokens are base64url with at least 128 bits of entropy (RFC 8555 §8.3); Let's Encrypt's are 43 characters. */
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

export interface ChallengeResponse {
  readonly status: 200 | 404 | 405;
  readonly headers: Readonly<Record<string, string>>;
  /** Empty for HEAD and for refusals. */
  readonly body: string;
}

const HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } as const;

/** Whether a path is for the challenge responder at all (others pass through or get 404). */
export function isChallengePath(path: string): boolean {
  return path.startsWith(CHALLENGE_PREFIX);
}

/**
 * The one HTTP-01 lookup shared by every responder (ALB Lambda, Lambda@Edge, function URL, node
 * agent): exact token match only; an impossible token is refused without a store read; never cached.
 */
export async function respondToChallenge(
  method: string,
  path: string,
  store: Pick<ChallengeStore, 'get'>,
): Promise<ChallengeResponse> {
  if (method !== 'GET' && method !== 'HEAD') {
    return { status: 405, headers: { ...HEADERS, allow: 'GET, HEAD' }, body: '' };
  }
  const token = path.startsWith(CHALLENGE_PREFIX) ? path.slice(CHALLENGE_PREFIX.length) : '';
  if (!TOKEN.test(token)) return { status: 404, headers: HEADERS, body: '' };
  const keyAuthorization = await store.get(token);
  if (keyAuthorization === null) return { status: 404, headers: HEADERS, body: '' };
  return { status: 200, headers: HEADERS, body: method === 'HEAD' ? '' : keyAuthorization };
}
