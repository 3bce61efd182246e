/**
 * How acme-client talks to the CA. acme-client 5.4 turns every CA problem into a bare `Error` with
 * the detail text, and retries 429s by sleeping through Retry-After (hours, for a rate limit). We
 * install our own axios adapter under its instance: problem documents become our typed errors with
 * the problem type and Retry-After kept, before acme-client's retry interceptor sees them; only
 * `badNonce` (which acme-client retries itself) and 5xx (retried a bounded number of times) pass.
 */
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import acme from 'acme-client';
import axios, { type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import {
  CaUnreachableError,
  IssuanceError,
  OrderRejectedError,
  RateLimitedError,
} from '../../core/errors.ts';
import type { Logger } from '../../core/ports/logger.ts';

const PROBLEM = 'urn:ietf:params:acme:error:';
const REJECTIONS = new Set(
  [
    'rejectedIdentifier',
    'unauthorized',
    'caa',
    'badCSR',
    'unsupportedIdentifier',
    'userActionRequired',
    'externalAccountRequired',
    'malformed',
    'accountDoesNotExist',
    'alreadyReplaced',
    'invalidProfile',
  ].map((t) => PROBLEM + t),
);

interface Problem {
  readonly type?: string;
  readonly detail?: string;
}

function parseRetryAfter(value: unknown, now: Date): Date | null {
  if (typeof value !== 'string' || value === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return new Date(now.getTime() + seconds * 1000);
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function toProblem(data: unknown): Problem {
  if (data && typeof data === 'object') return data as Problem;
  if (typeof data === 'string') {
    try {
      return JSON.parse(data) as Problem;
    } catch {
      return { detail: data.slice(0, 200) };
    }
  }
  return {};
}

/**
 * The typed error for a CA error response, or null for responses acme-client should see: successes,
 * `badNonce` (it retries those itself) and server errors while retries remain.
 */
export function classifyResponse(response: AxiosResponse, now: Date, retriesLeft: boolean): Error | null {
  if (response.status < 400) return null;
  const problem = toProblem(response.data);
  const type = problem.type ?? null;
  if (type === `${PROBLEM}badNonce`) return null;
  const where = `${response.config.method?.toUpperCase() ?? 'GET'} ${response.config.url ?? ''}`;
  const message = `${problem.detail ?? `HTTP ${response.status}`} (${type ?? `HTTP ${response.status}`}; ${where})`;
  if (response.status === 429 || type === `${PROBLEM}rateLimited`) {
    return new RateLimitedError(message, parseRetryAfter(response.headers['retry-after'], now), type);
  }
  if (response.status >= 500) return retriesLeft ? null : new CaUnreachableError(message, type);
  if (type && REJECTIONS.has(type)) return new OrderRejectedError(message, type);
  return new IssuanceError(message, type);
}

export interface CaTransportOptions {
  /** Extra PEM CA certificates to trust for the CA's HTTPS (Pebble's listener CA, locally). */
  readonly extraCaPem?: string | undefined;
  /** Per-request timeout; a CA that does not answer in time is unreachable. */
  readonly timeoutMs?: number;
  readonly log: Logger;
}

let installed = false;
/** The extra CA the installed HTTPS agent trusts. */
let agentCaPem: string | undefined;
const MAX_RETRIES = 2;

/** acme-client adds its retry settings to its axios instance's defaults; axios' types do not know them. */
function settingsOf(instance: typeof acme.axios): { retryMaxAttempts: number; retryDefaultDelay: number } {
  return (
    instance.defaults as unknown as { acmeSettings: { retryMaxAttempts: number; retryDefaultDelay: number } }
  ).acmeSettings;
}

/**
 * Configures acme-client's axios instance once per process. acme-client keeps one module-wide
 * instance, so this is process-wide too.
 */
export function installCaTransport(options: CaTransportOptions): void {
  const instance = acme.axios;
  instance.defaults.timeout = options.timeoutMs ?? 30_000;
  settingsOf(instance).retryMaxAttempts = MAX_RETRIES;
  settingsOf(instance).retryDefaultDelay = 1;
  // Every control plane installs it (the issuer, the account admin): the agent is rebuilt only for
  // another CA bundle, so the ~150 roots are parsed once.
  if (options.extraCaPem && options.extraCaPem !== agentCaPem) {
    agentCaPem = options.extraCaPem;
    instance.defaults.httpsAgent = new Agent({
      // Built once: given `ca` instead, Node parses the ~150 roots again for every new connection,
      // and Pebble's answer to HEAD newNonce (no Content-Length) closes one for every signed request.
      secureContext: createSecureContext({ ca: [...rootCertificates, options.extraCaPem] }),
      keepAlive: true,
    });
  }
  acme.setLogger((message: string) => options.log.debug('acme-client', { message }));
  if (installed) return;
  installed = true;
  const http = axios.getAdapter('http') as AxiosAdapter;
  instance.defaults.adapter = async (config: InternalAxiosRequestConfig) => {
    const attempt = (config as { retryAttempt?: number }).retryAttempt ?? 0;
    try {
      return await http(config);
    } catch (error) {
      // acme-client makes axios reject every response (validateStatus () => false) so that its
      // interceptor sees them all: a rejection with a response is an answer, not a failure.
      const response = (error as { response?: AxiosResponse }).response;
      if (!response) {
        const code = (error as { code?: string }).code ?? 'network error';
        throw new CaUnreachableError(`${code} reaching ${config.url ?? 'the CA'}`, null, { cause: error });
      }
      throw classifyResponse(response, new Date(), attempt < MAX_RETRIES) ?? error;
    }
  };
}
