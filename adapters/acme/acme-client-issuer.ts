/**
 * The one module that orders certificates through acme-client 5.4. What acme-client lacks we add
 * here: profiles and `replaces` pass through newOrder as-is; renewalInfo (RFC 9773) is our own GET.
 * HTTP-01 tokens go to the shared ChallengeStore before the CA is told to validate, and are removed
 * afterwards, also on failure, once every authorization has settled. A saved account the CA no
 * longer knows is registered again with the same key.
 */
import { createPrivateKey, generateKeyPair } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import acme from 'acme-client';
import type { KeyType } from '../../core/config/certificate-config.ts';
import {
  CaUnreachableError,
  IssuanceError,
  OrderRejectedError,
  ValidationFailedError,
} from '../../core/errors.ts';
import type { AcmeAccountStore } from '../../core/ports/acme-account-store.ts';
import type { CertificateIssuer } from '../../core/ports/certificate-issuer.ts';
import type { ChallengeStore } from '../../core/ports/challenge-store.ts';
import type { DnsTxtRecords } from '../../core/ports/dns-txt-records.ts';
import type { Logger } from '../../core/ports/logger.ts';
import type { IssuedCertificate, IssueRequest, RenewalInfo } from '../../core/renewal/types.ts';
import { installCaTransport } from './ca-transport.ts';

/** Tokens outlive any sane validation; readers ignore expired ones and DynamoDB TTL deletes them. */
const TOKEN_TTL_MS = 60 * 60_000;
const DEFAULT_RENEWAL_INFO_RETRY_MS = 6 * 3_600_000;
const PROBLEM = 'urn:ietf:params:acme:error:';
/** Polls of one challenge or order before giving up (with the poll interval doubling to 10×). */
const POLL_ATTEMPTS = 30;
const ACCOUNT_DOES_NOT_EXIST = `${PROBLEM}accountDoesNotExist`;

/** An authorization still to prove, with the challenge picked for it. */
interface Pending {
  readonly authz: acme.Authorization;
  readonly challenge: acme.Authorization['challenges'][number];
  readonly keyAuthorization: string;
}

export interface AcmeClientIssuerOptions {
  readonly challenges: ChallengeStore;
  /** TXT records for DNS-01 (Route 53 in AWS); without it, dns-01 certificates fail clearly. */
  readonly dnsRecords?: DnsTxtRecords | undefined;
  readonly accounts: AcmeAccountStore;
  readonly log: Logger;
  /** Contact for new accounts. */
  readonly email?: string | undefined;
  /** PEM CA certificates to trust for the CA's own HTTPS (Pebble locally). */
  readonly extraCaPem?: string | undefined;
  /** Polling backoff of acme-client; Pebble answers in milliseconds, a real CA in seconds. */
  readonly pollIntervalMs?: number;
}

/** Generates the certificate's private key as PKCS#8 PEM, off the event loop (RSA 4096 takes seconds). */
export function generatePrivateKey(keyType: KeyType): Promise<string> {
  const pem = {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  } as const;
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, _publicKey: string, privateKey: string) =>
      error ? reject(error) : resolve(privateKey);
    if (keyType.startsWith('ec-'))
      generateKeyPair('ec', { namedCurve: keyType === 'ec-p384' ? 'P-384' : 'P-256', ...pem }, done);
    else generateKeyPair('rsa', { modulusLength: Number(keyType.slice(4)), ...pem }, done);
  });
}

export class AcmeClientIssuer implements CertificateIssuer {
  private readonly directories = new Map<string, Promise<Record<string, unknown>>>();

  constructor(private readonly options: AcmeClientIssuerOptions) {
    installCaTransport({ extraCaPem: options.extraCaPem, log: options.log });
  }

  async issue(request: IssueRequest): Promise<IssuedCertificate> {
    const { client, order } = await this.openOrder(request);
    const privateKeyPem = request.privateKeyPem ?? (await generatePrivateKey(request.keyType));
    const [, csr] = await acme.crypto.createCsr(
      { commonName: request.domains[0], altNames: [...request.domains] },
      privateKeyPem,
    );
    this.options.log.info('order created', { certificateId: request.certificateId, order: order.url });
    const type = request.challenge ?? 'http-01';
    const pending: Pending[] = [];
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status === 'valid') continue;
      const challenge = authz.challenges.find((c) => c.type === type);
      if (!challenge)
        throw new OrderRejectedError(`the CA offers no ${type} challenge for ${authz.identifier.value}`);
      pending.push({
        authz,
        challenge,
        keyAuthorization: await client.getChallengeKeyAuthorization(challenge),
      });
    }
    let cleanup: () => Promise<unknown> = async () => {};
    try {
      cleanup =
        type === 'dns-01'
          ? await this.presentDns(pending, request)
          : await this.presentHttp(pending, request);
      // Every authorization in parallel; wait for all to settle before failing (as acme-client's auto()).
      const results = await Promise.allSettled(pending.map((p) => this.validate(client, p)));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    } finally {
      await cleanup();
    }
    const finalized = await client.finalizeOrder(order, csr);
    // acme-client picks among the alternates (`Link: rel="alternate"`) by issuer common name.
    const chainPem = await client.getCertificate(finalized, request.preferredChain);
    return { privateKeyPem, chainPem };
  }

  /** HTTP-01: tokens in the shared store, where every responder finds them. Returns the clean-up. */
  private async presentHttp(
    pending: readonly Pending[],
    request: IssueRequest,
  ): Promise<() => Promise<unknown>> {
    const stored: string[] = [];
    const cleanup = () => Promise.allSettled(stored.map((token) => this.options.challenges.remove(token)));
    try {
      for (const { challenge, keyAuthorization, authz } of pending) {
        await this.options.challenges.put(
          challenge.token,
          keyAuthorization,
          new Date(Date.now() + TOKEN_TTL_MS),
        );
        stored.push(challenge.token);
        this.options.log.info('challenge stored', {
          certificateId: request.certificateId,
          identifier: authz.identifier.value,
        });
      }
    } catch (error) {
      await cleanup();
      throw error;
    }
    return cleanup;
  }

  /**
   * DNS-01: one TXT record per name, holding the digests of every authorization for it (a wildcard
   * and its apex share `_acme-challenge.<apex>`), live at the provider before the CA looks.
   */
  private async presentDns(
    pending: readonly Pending[],
    request: IssueRequest,
  ): Promise<() => Promise<unknown>> {
    const dns = this.options.dnsRecords;
    if (!dns) throw new OrderRejectedError('dns-01 needs a DNS provider, and none is configured');
    const records = new Map<string, string[]>();
    for (const { authz, keyAuthorization } of pending) {
      const domain = authz.identifier.value;
      const name = request.dnsDelegation ? `${domain}.${request.dnsDelegation}` : `_acme-challenge.${domain}`;
      records.set(name, [...(records.get(name) ?? []), keyAuthorization]);
    }
    const entries = [...records];
    const cleanup = () => Promise.allSettled(entries.map(([name, values]) => dns.remove(name, values)));
    const written = await Promise.allSettled(entries.map(([name, values]) => dns.set(name, values)));
    const failed = written.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await cleanup();
      throw failed.reason;
    }
    this.options.log.info('dns records in sync', {
      certificateId: request.certificateId,
      names: entries.map(([n]) => n),
    });
    return cleanup;
  }

  private async validate(client: acme.Client, { authz, challenge }: Pending): Promise<void> {
    await client.completeChallenge(challenge);
    try {
      await client.waitForValidStatus(challenge);
    } catch (error) {
      if (error instanceof IssuanceError) throw error;
      // acme-client reports an invalid challenge as a bare Error carrying the CA's detail.
      throw new ValidationFailedError(
        `${authz.identifier.value}: ${(error as Error).message}`,
        'urn:ietf:params:acme:error:unauthorized',
        { cause: error },
      );
    }
  }

  /** newOrder with `profile` and `replaces`; a CA that says the old one was already replaced gets a plain order. */
  private async createOrder(client: acme.Client, request: IssueRequest) {
    const identifiers = request.domains.map((value) => ({ type: 'dns', value }));
    const data = { identifiers, ...(request.profile ? { profile: request.profile } : {}) };
    if (!request.replaces) return client.createOrder(data);
    try {
      return await client.createOrder({ ...data, replaces: request.replaces } as typeof data);
    } catch (error) {
      if (error instanceof OrderRejectedError && error.problemType?.endsWith(':alreadyReplaced')) {
        this.options.log.warn('certificate already replaced; ordering without replaces', {
          certificateId: request.certificateId,
        });
        return client.createOrder(data);
      }
      throw error;
    }
  }

  async renewalInfo(directory: string, ariCertId: string): Promise<RenewalInfo | null> {
    const dir = await this.directory(directory);
    const base = dir.renewalInfo;
    if (typeof base !== 'string') return null;
    const response = await acme.axios.get(`${base.replace(/\/$/, '')}/${ariCertId}`, {
      responseType: 'json',
    });
    const body = response.data as {
      suggestedWindow?: { start?: string; end?: string };
      explanationURL?: string;
    };
    const start = new Date(body.suggestedWindow?.start ?? Number.NaN);
    const end = new Date(body.suggestedWindow?.end ?? Number.NaN);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start) {
      throw new IssuanceError(`malformed renewalInfo answer for ${ariCertId}`);
    }
    const retrySeconds = Number(response.headers['retry-after']);
    const retryAfter = new Date(
      Date.now() +
        (Number.isFinite(retrySeconds) && retrySeconds > 0
          ? retrySeconds * 1000
          : DEFAULT_RENEWAL_INFO_RETRY_MS),
    );
    return { start, end, explanationUrl: body.explanationURL, retryAfter };
  }

  private directory(url: string): Promise<Record<string, unknown>> {
    let cached = this.directories.get(url);
    if (!cached) {
      cached = acme.axios.get(url, { responseType: 'json' }).then((r) => r.data as Record<string, unknown>);
      cached.catch(() => this.directories.delete(url));
      this.directories.set(url, cached);
    }
    return cached;
  }

  /**
   * newOrder on the saved account, registering (and saving) one the first time. A CA that no longer
   * knows the saved account (it lost its data, or Pebble restarted) answers `accountDoesNotExist` on
   * every request: the same key is then registered again, its new URL saved, and the order placed
   * once more; otherwise every later run would fail the same way.
   */
  private async openOrder(request: IssueRequest): Promise<{ client: acme.Client; order: acme.Order }> {
    const saved = await this.options.accounts.load(request.directory);
    if (!saved) {
      const client = await this.register(request, (await acme.crypto.createPrivateEcdsaKey()).toString());
      return { client, order: await this.createOrder(client, request) };
    }
    const client = this.newClient(request, { accountKey: saved.keyPem, accountUrl: saved.url });
    try {
      return { client, order: await this.createOrder(client, request) };
    } catch (error) {
      if (!(error instanceof OrderRejectedError && error.problemType === ACCOUNT_DOES_NOT_EXIST)) throw error;
      this.options.log.warn('account unknown to the CA; registering its key again', {
        certificateId: request.certificateId,
        directory: request.directory,
      });
      const registered = await this.register(request, saved.keyPem);
      return { client: registered, order: await this.createOrder(registered, request) };
    }
  }

  /** An acme-client on this CA with our polling and badNonce settings. */
  private newClient(
    request: IssueRequest,
    account: Pick<acme.ClientOptions, 'accountKey' | 'accountUrl' | 'externalAccountBinding'>,
  ): acme.Client {
    return acmeClient({ directoryUrl: request.directory, ...account }, this.options.pollIntervalMs ?? 1000);
  }

  /** newAccount for this key (a new account, or the CA's existing one for the key), saved. */
  private async register(request: IssueRequest, accountKey: string): Promise<acme.Client> {
    const client = this.newClient(request, {
      accountKey,
      ...(request.eab
        ? { externalAccountBinding: { kid: request.eab.kid, hmacKey: request.eab.hmacKey } }
        : {}),
    });
    try {
      await client.createAccount({
        termsOfServiceAgreed: true,
        ...(this.options.email ? { contact: [`mailto:${this.options.email}`] } : {}),
      });
    } catch (error) {
      if (error instanceof IssuanceError) throw error;
      throw new CaUnreachableError(`account registration failed: ${(error as Error).message}`, null, {
        cause: error,
      });
    }
    await this.options.accounts.save(request.directory, { keyPem: accountKey, url: client.getAccountUrl() });
    this.options.log.info('account registered', { directory: request.directory });
    return client;
  }
}

/** An acme-client with our badNonce retries, nonce reuse and polling (every client we make is one). */
export function acmeClient(options: acme.ClientOptions, pollMs: number): acme.Client {
  return withFinalAnswers(
    withNonceReuse(withNonceRetries(withParsedAccountKey(new acme.Client(options)))),
    pollMs,
  );
}

/**
 * acme-client 5.4 signs every request with the account key as PEM, which Node (OpenSSL 3) decodes
 * again each time: about 0.5 ms of the renewer's CPU per signed request on the bench machine, 0.04
 * ms with the key decoded once (a KeyObject, which `createSign().sign()` and `createPublicKey()`
 * both accept). The field is internal to acme-client, hence the check.
 */
function withParsedAccountKey(client: acme.Client): acme.Client {
  const http = (client as unknown as { http?: { accountKey?: unknown } }).http;
  if (!http || !Buffer.isBuffer(http.accountKey))
    throw new Error('acme-client internals changed: http.accountKey');
  http.accountKey = createPrivateKey(http.accountKey);
  return client;
}

/**
 * acme-client retries a badNonce answer 5 times; a CA rejecting half the nonces (Pebble's
 * PEBBLE_WFE_NONCEREJECT=50, a busy CA) then fails ~15 % of orders. badNonce retries are cheap and
 * always safe (RFC 8555 §6.5), so allow 20; the field is internal to acme-client 5.4, hence the cast.
 */
function withNonceRetries(client: acme.Client): acme.Client {
  const internals = client as unknown as { http?: { maxBadNonceRetries?: number } };
  if (internals.http?.maxBadNonceRetries === undefined)
    throw new Error('acme-client internals changed: http.maxBadNonceRetries');
  internals.http.maxBadNonceRetries = 20;
  return client;
}

/** The part of acme-client 5.4's internal HTTP client that nonce reuse hooks into. */
interface AcmeHttpInternals {
  request(url: string, method: string, opts?: unknown): Promise<AxiosLikeResponse>;
  getNonce(): Promise<string>;
}
interface AxiosLikeResponse {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly data?: unknown;
}

/**
 * acme-client fetches a fresh nonce (HEAD newNonce) before every signed request, although each
 * answer to a POST carries a new one (Replay-Nonce). RFC 8555 §7.2 has the client use those: each
 * is kept, used once (the newest first), and HEAD newNonce is asked only when none is left. That
 * halves the round trips of an order. A nonce the CA no longer accepts costs what HEAD did: a
 * badNonce answer, whose own nonce acme-client retries with (never pooled, so never used twice).
 */
function withNonceReuse(client: acme.Client): acme.Client {
  const http = (client as unknown as { http?: Partial<AcmeHttpInternals> }).http;
  if (typeof http?.request !== 'function' || typeof http.getNonce !== 'function')
    throw new Error('acme-client internals changed: http.request, http.getNonce');
  const request = http.request.bind(http);
  const getNonce = http.getNonce.bind(http);
  const nonces: string[] = [];
  http.getNonce = async () => nonces.pop() ?? getNonce();
  http.request = async (url, method, opts) => {
    const response = await request(url, method, opts);
    const nonce = response.headers['replay-nonce'];
    const badNonce = (response.data as { type?: unknown } | undefined)?.type === `${PROBLEM}badNonce`;
    if (method === 'post' && typeof nonce === 'string' && nonce !== '' && !badNonce) nonces.push(nonce);
    return response;
  };
  return client;
}

interface AcmeApiInternals {
  apiRequest(url: string, payload: null, validStatusCodes: number[]): Promise<AxiosLikeResponse>;
}

/**
 * Our own waitForValidStatus (challenges and orders, finalize included): acme-client's retries
 * every error up to its attempt limit, the CA's final answers too, so a run whose account the CA
 * had lost kept polling for minutes (about 4 at a 1 s interval). This one polls while the item is
 * `pending` or `processing` or the CA is briefly unreachable (CaUnreachableError, or an error that
 * is not ours), waiting the CA's Retry-After when it sends one (RFC 8555 §7.5.1), else an interval
 * that doubles from `pollMs` up to 10×; any other typed answer of the CA ends it at once.
 */
function withFinalAnswers(client: acme.Client, pollMs: number): acme.Client {
  const api = (client as unknown as { api?: Partial<AcmeApiInternals> }).api;
  if (typeof api?.apiRequest !== 'function') throw new Error('acme-client internals changed: api.apiRequest');
  const apiRequest = api.apiRequest.bind(api);
  const wait = async (item: { url?: string }): Promise<unknown> => {
    const { url } = item;
    if (!url) throw new Error('Unable to verify status of item, URL not found');
    for (let attempt = 1; ; attempt++) {
      let response: AxiosLikeResponse | undefined;
      try {
        response = await apiRequest(url, null, [200]);
      } catch (error) {
        const final = error instanceof IssuanceError && !(error instanceof CaUnreachableError);
        if (final || attempt >= POLL_ATTEMPTS) throw error;
      }
      const body = response?.data as { status?: string; error?: { detail?: string } } | undefined;
      if (body?.status === 'valid' || body?.status === 'ready') return body;
      // As acme-client: a bare Error with the CA's detail, which the callers turn into typed errors.
      if (body?.status === 'invalid') throw new Error(body.error?.detail ?? `${url} is invalid`);
      if (body && body.status !== 'pending' && body.status !== 'processing')
        throw new Error(`Unexpected item status: ${String(body.status)}`);
      if (attempt >= POLL_ATTEMPTS)
        throw new Error(`${url} is still ${body?.status ?? 'unanswered'} after ${attempt} polls`);
      const backoff = Math.min(pollMs * 2 ** (attempt - 1), pollMs * 10);
      await sleep(retryAfterMs(response?.headers['retry-after'], pollMs) ?? backoff);
    }
  };
  client.waitForValidStatus = wait as acme.Client['waitForValidStatus'];
  return client;
}

/** A Retry-After in seconds, kept between one poll interval and a minute; undefined without one. */
function retryAfterMs(header: unknown, pollMs: number): number | undefined {
  const seconds = typeof header === 'string' ? Number(header) : Number.NaN;
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds * 1000, pollMs), 60_000) : undefined;
}
