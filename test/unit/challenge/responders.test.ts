import { describe, expect, it } from 'vitest';
import { redirectChallenge, respondToChallenge } from '../../../core/challenge/respond.ts';
import { createAlbResponder } from '../../../functions/respond-alb.ts';
import { createEdgeResponder } from '../../../functions/respond-edge.ts';

const TOKEN = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';

/** A store that counts its reads: bad requests must not reach it. */
function countingStore(tokens: Record<string, string> = { [TOKEN]: `${TOKEN}.thumbprint` }) {
  const reads: string[] = [];
  return {
    reads,
    get: async (token: string) => {
      reads.push(token);
      return tokens[token] ?? null;
    },
  };
}

describe('respondToChallenge', () => {
  it('answers an exact token with its key authorization, as uncached text', async () => {
    const store = countingStore();
    const response = await respondToChallenge('GET', `/.well-known/acme-challenge/${TOKEN}`, store);
    expect(response).toEqual({
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
      body: `${TOKEN}.thumbprint`,
    });
    expect((await respondToChallenge('HEAD', `/.well-known/acme-challenge/${TOKEN}`, store)).body).toBe('');
  });

  it('answers 404 for an unknown token after one lookup', async () => {
    const store = countingStore();
    expect(
      (await respondToChallenge('GET', `/.well-known/acme-challenge/${'A'.repeat(43)}`, store)).status,
    ).toBe(404);
    expect(store.reads).toEqual(['A'.repeat(43)]);
  });

  it.each([
    ['a short token', '/.well-known/acme-challenge/abc'],
    ['a huge token', `/.well-known/acme-challenge/${'a'.repeat(129)}`],
    ['a traversal', `/.well-known/acme-challenge/../../etc/passwd${'a'.repeat(20)}`],
    ['a non-ASCII token', `/.well-known/acme-challenge/${'ä'.repeat(30)}`],
    ['a query string', `/.well-known/acme-challenge/${TOKEN}?x=1`],
    ['a prefix of the path', '/.well-known/acme-challenge'],
    ['another path', `/index.html/${TOKEN}`],
  ])('refuses %s with 404 and no store read', async (_case, path) => {
    const store = countingStore();
    expect((await respondToChallenge('GET', path, store)).status).toBe(404);
    expect(store.reads).toEqual([]);
  });

  it('refuses methods other than GET and HEAD with 405', async () => {
    const store = countingStore();
    const response = await respondToChallenge('POST', `/.well-known/acme-challenge/${TOKEN}`, store);
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
    expect(store.reads).toEqual([]);
  });
});

describe('redirectChallenge', () => {
  const BASE = 'https://acme.example.test/responder/';

  it('sends a challenge request to the central responder, path kept, never cached', () => {
    expect(redirectChallenge('GET', `/.well-known/acme-challenge/${TOKEN}`, BASE)).toEqual({
      status: 302,
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
        location: `https://acme.example.test/responder/.well-known/acme-challenge/${TOKEN}`,
      },
      body: '',
    });
    expect(redirectChallenge('HEAD', `/.well-known/acme-challenge/${TOKEN}`, BASE).status).toBe(302);
  });

  it.each([
    ['a short token', '/.well-known/acme-challenge/abc'],
    ['a traversal', `/.well-known/acme-challenge/../../etc/passwd${'a'.repeat(20)}`],
    ['a query string', `/.well-known/acme-challenge/${TOKEN}?x=1`],
    ['another path', `/index.html/${TOKEN}`],
  ])('does not forward %s (the lookup refuses the same paths)', async (_case, path) => {
    expect(redirectChallenge('GET', path, BASE).status).toBe(404);
    expect((await respondToChallenge('GET', path, countingStore())).status).toBe(404);
  });

  it('refuses methods other than GET and HEAD with 405, as the lookup does', () => {
    const response = redirectChallenge('POST', `/.well-known/acme-challenge/${TOKEN}`, BASE);
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
  });
});

describe('Lambda responders', () => {
  it('maps the ALB event and result', async () => {
    const result = await createAlbResponder(countingStore())({
      httpMethod: 'GET',
      path: `/.well-known/acme-challenge/${TOKEN}`,
    });
    expect(result).toMatchObject({
      statusCode: 200,
      statusDescription: '200 OK',
      body: `${TOKEN}.thumbprint`,
      isBase64Encoded: false,
    });
    expect(result.headers['cache-control']).toBe('no-store');
  });

  it('answers challenge paths at the edge and passes everything else to the origin untouched', async () => {
    const edge = createEdgeResponder(countingStore());
    const challenge = await edge({
      Records: [{ cf: { request: { method: 'GET', uri: `/.well-known/acme-challenge/${TOKEN}` } } }],
    });
    expect(challenge).toMatchObject({
      status: '200',
      body: `${TOKEN}.thumbprint`,
      headers: { 'cache-control': [{ key: 'cache-control', value: 'no-store' }] },
    });
    const request = { method: 'GET', uri: '/app/login', headers: { host: [{ key: 'Host', value: 'x' }] } };
    expect(await edge({ Records: [{ cf: { request } }] })).toBe(request);
  });
});
