export const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
/** ACME tokens are base64url with at least 128 bits of entropy (RFC 8555 §8.3); Let's Encrypt's are 43 characters. */
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

export interface ChallengeResponse {
  readonly status: 200 | 302 | 404 | 405;
  readonly headers: Readonly<Record<string, string>>;
  /** Empty for HEAD and for refusals. */
  readonly body: string;
}

/** Where a responder finds a token's key authorization: a {@link ChallengeCache} over the store. */
export interface ChallengeLookup {
  /** The key authorization of an unexpired token, or null. */
  get(token: string): Promise<string | null>;
  /** The key authorization when it is known without a read (a cached token), else null. */
  peek?(token: string): string | null;
}

const HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } as const;

/** Whether a path is for the challenge responder at all (others pass through or get 404). */
export function isChallengePath(path: string): boolean {
  return path.startsWith(CHALLENGE_PREFIX);
}

const NOT_ALLOWED: ChallengeResponse = { status: 405, headers: { ...HEADERS, allow: 'GET, HEAD' }, body: '' };
const NOT_FOUND: ChallengeResponse = { status: 404, headers: HEADERS, body: '' };

/** The token of a challenge path, or null when the path cannot be one (no store read is needed then). */
export function challengeToken(path: string): string | null {
  const token = path.startsWith(CHALLENGE_PREFIX) ? path.slice(CHALLENGE_PREFIX.length) : '';
  return TOKEN.test(token) ? token : null;
}

/**
 * The one HTTP-01 lookup shared by every responder (ALB Lambda, Lambda@Edge, function URL, node
 * agent, embedded stack): exact token match only; an impossible token is refused without a store
 * read; the answer comes from the tokens in flight as core/challenge/challenge-cache.ts holds them
 * (the HTTP response itself is never cacheable). Whatever needs no read is answered at once, not
 * as a promise: the node responder's hot path.
 */
export function respondToChallenge(
  method: string,
  path: string,
  challenges: ChallengeLookup,
): ChallengeResponse | Promise<ChallengeResponse> {
  if (method !== 'GET' && method !== 'HEAD') return NOT_ALLOWED;
  const token = challengeToken(path);
  if (token === null) return NOT_FOUND;
  const known = challenges.peek?.(token) ?? null;
  if (known !== null) return found(method, known);
  return challenges
    .get(token)
    .then((keyAuthorization) => (keyAuthorization === null ? NOT_FOUND : found(method, keyAuthorization)));
}

function found(method: string, keyAuthorization: string): ChallengeResponse {
  return { status: 200, headers: HEADERS, body: method === 'HEAD' ? '' : keyAuthorization };
}

/**
 * Redirect mode, for a host that holds no challenge data (a DMZ instance, a node that hands
 * validation to a central responder): a 302 to `baseUrl` + the same path, which Let's Encrypt
 * follows to ports 80 and 443. The same token and method rules as the lookup, so a scanner's paths
 * are refused here rather than forwarded.
 */
export function redirectChallenge(method: string, path: string, baseUrl: string): ChallengeResponse {
  if (method !== 'GET' && method !== 'HEAD') return NOT_ALLOWED;
  if (challengeToken(path) === null) return NOT_FOUND;
  return {
    status: 302,
    headers: { ...HEADERS, location: `${baseUrl.replace(/\/+$/, '')}${path}` },
    body: '',
  };
}
