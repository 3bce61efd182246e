/**
 * How CA answers become our errors. Pebble never rate-limits, so these answers are built here: the
 * one place where a CA response is made up rather than received from a local server.
 */
import type { AxiosResponse } from 'axios';
import { describe, expect, it } from 'vitest';
import { classifyResponse } from '../../../adapters/acme/ca-transport.ts';
import {
  CaUnreachableError,
  IssuanceError,
  OrderRejectedError,
  RateLimitedError,
} from '../../../core/errors.ts';

const now = new Date('2026-11-28T12:00:00Z');

function answer(status: number, data: unknown, headers: Record<string, string> = {}): AxiosResponse {
  return {
    status,
    data,
    headers,
    statusText: '',
    config: { method: 'post', url: 'https://ca.test/acme/new-order' },
  } as unknown as AxiosResponse;
}

const problem = (type: string, detail: string) => ({ type: `urn:ietf:params:acme:error:${type}`, detail });

describe('classifyResponse', () => {
  it('lets successes and badNonce through to acme-client', () => {
    expect(classifyResponse(answer(201, {}), now, true)).toBeNull();
    expect(
      classifyResponse(answer(400, problem('badNonce', 'JWS has an invalid anti-replay nonce')), now, true),
    ).toBeNull();
  });

  it('turns a rate limit into RateLimitedError with Retry-After (seconds or HTTP date)', () => {
    const seconds = classifyResponse(
      answer(429, problem('rateLimited', 'too many certificates (5) already issued'), {
        'retry-after': '3600',
      }),
      now,
      true,
    );
    expect(seconds).toBeInstanceOf(RateLimitedError);
    expect((seconds as RateLimitedError).retryAfter).toEqual(new Date('2026-11-28T13:00:00Z'));
    expect((seconds as RateLimitedError).message).toMatch(
      /^too many certificates \(5\) already issued \(urn:ietf:params:acme:error:rateLimited; POST https:\/\/ca\.test/,
    );
    const date = classifyResponse(
      answer(429, problem('rateLimited', 'slow down'), { 'retry-after': 'Sun, 29 Nov 2026 00:00:00 GMT' }),
      now,
      true,
    );
    expect((date as RateLimitedError).retryAfter).toEqual(new Date('2026-11-29T00:00:00Z'));
  });

  it('turns policy refusals into OrderRejectedError with the problem type', () => {
    const error = classifyResponse(
      answer(400, problem('rejectedIdentifier', 'forbidden by policy')),
      now,
      true,
    );
    expect(error).toBeInstanceOf(OrderRejectedError);
    expect((error as OrderRejectedError).problemType).toBe('urn:ietf:params:acme:error:rejectedIdentifier');
  });

  it('keeps unknown problems as IssuanceError, and server errors for acme-client to retry until the last try', () => {
    expect(classifyResponse(answer(403, problem('somethingNew', 'hm')), now, true)).toBeInstanceOf(
      IssuanceError,
    );
    expect(classifyResponse(answer(503, 'maintenance'), now, true)).toBeNull();
    expect(classifyResponse(answer(503, 'maintenance'), now, false)).toBeInstanceOf(CaUnreachableError);
  });
});
