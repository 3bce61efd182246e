import type { AcmeHaConfig, CertificateConfig, SecretSource } from '../config/certificate-config.ts';
import {
  AcmeHaError,
  IssuanceError,
  RateLimitedError,
  RevisionConflictError,
  ValidationFailedError,
} from '../errors.ts';
import type { CertificateIssuer } from '../ports/certificate-issuer.ts';
import type { CertificateStateStore } from '../ports/certificate-state-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventPublisher } from '../ports/event-publisher.ts';
import type { KeystoreStore } from '../ports/keystore-store.ts';
import type { Lock } from '../ports/lock.ts';
import type { Logger } from '../ports/logger.ts';
import type { SecretResolver } from '../ports/secret-resolver.ts';
import { nextFailure } from './backoff.ts';
import { configHash, decideRenewal, nextWindow, type RenewalDecision } from './decide.ts';
import { reusableKey } from './key-reuse.ts';
import { materialOf, storeRevisionObjects } from './publish-revision.ts';
import { rolloutTermsOf } from './rollout-terms.ts';
import type { CertificateState, IssuedCertificate, IssueRequest } from './types.ts';

/** A Lambda lives at most 15 minutes, so a lease this long cannot expire under a living holder. */
export const RENEWAL_LEASE_MS = 15 * 60_000;

export interface RenewerDeps {
  readonly state: CertificateStateStore;
  readonly issuer: CertificateIssuer;
  readonly keystores: KeystoreStore;
  readonly events: EventPublisher;
  readonly lock: Lock;
  readonly secrets: SecretResolver;
  readonly clock: Clock;
  readonly log: Logger;
  /** Uniform in [0, 1); the ARI moment is drawn with it. */
  readonly random: () => number;
  /** Who holds the lease: a Lambda request id, a host and pid. */
  readonly owner: string;
}

export type RenewalOutcome =
  | {
      readonly certificateId: string;
      readonly result: 'renewed';
      readonly reason: string;
      readonly revision: number;
      readonly serial: string;
      /** The CA that issued it: the preferred one, or a fallback. */
      readonly directory: string;
    }
  | {
      readonly certificateId: string;
      readonly result: 'skipped';
      readonly reason: string;
      readonly nextCheckAt: string | null;
    }
  | { readonly certificateId: string; readonly result: 'locked'; readonly reason: string }
  | {
      readonly certificateId: string;
      readonly result: 'failed';
      readonly reason: string;
      readonly errorCode: string;
      readonly message: string;
      readonly nextAttemptAt: string;
    };

/**
 * Renews one certificate if it is due: decide, take the lease, decide again (another run may have
 * finished meanwhile), order, store the keystores, publish the revision, announce it. A failure is
 * persisted with its backoff and announced; the lease is always released.
 */
export async function renewCertificate(
  config: AcmeHaConfig,
  cert: CertificateConfig,
  deps: RenewerDeps,
  options: { readonly force?: boolean } = {},
): Promise<RenewalOutcome> {
  const id = cert.id;
  const directory = cert.directory ?? config.defaults.directory;
  const profile = cert.profile ?? config.defaults.profile;
  const renewal: Renewal = {
    config,
    cert,
    deps,
    directory,
    profile,
    hash: configHash(cert, directory, profile),
    startedAt: deps.clock.now(),
    force: options.force ?? false,
  };

  const first = decide(renewal, await refreshWindow(id, deps), renewal.force);
  if (!first.due) return skipped(id, first);

  const lease = await deps.lock.acquire(`certificate/${id}`, deps.owner, RENEWAL_LEASE_MS);
  if (!lease) {
    deps.log.info('lock busy', { certificateId: id });
    return { certificateId: id, result: 'locked', reason: 'another run holds the lease' };
  }
  deps.log.info('lock acquired', { certificateId: id, owner: deps.owner });
  try {
    return await renewUnderLease(renewal);
  } finally {
    try {
      await deps.lock.release(lease);
      deps.log.info('lock released', { certificateId: id });
    } catch (error) {
      // The lease then expires by itself (RENEWAL_LEASE_MS); nothing else is blocked meanwhile.
      deps.log.error('lock not released', { certificateId: id, error: describe(error) });
    }
  }
}

/** One renewal of one certificate: its settings as resolved, and when the run began. */
interface Renewal {
  readonly config: AcmeHaConfig;
  readonly cert: CertificateConfig;
  readonly deps: RenewerDeps;
  readonly directory: string;
  readonly profile: IssueRequest['profile'];
  /** {@link configHash} of the settings. */
  readonly hash: string;
  readonly startedAt: Date;
  readonly force: boolean;
}

function decide(renewal: Renewal, state: CertificateState, force: boolean): RenewalDecision {
  return decideRenewal({
    state,
    configHash: renewal.hash,
    now: renewal.deps.clock.now(),
    force,
    renewBefore: renewal.cert.renewBefore,
  });
}

/** Decides again under the lease, then orders and publishes; a failure is recorded, not thrown. */
async function renewUnderLease(renewal: Renewal): Promise<RenewalOutcome> {
  const { cert, deps } = renewal;
  const id = cert.id;
  const state = await deps.state.get(id);
  // Checked again under the lease: a run that held it before us may have renewed already. Even a
  // forced renewal is satisfied by a revision published after this run began.
  const renewedMeanwhile = state.current !== null && new Date(state.current.createdAt) > renewal.startedAt;
  const decision = decide(renewal, state, renewal.force && !renewedMeanwhile);
  if (!decision.due) return skipped(id, decision);
  const revision = (state.current?.revision ?? 0) + 1;
  deps.log.info('order started', {
    certificateId: id,
    reason: decision.reason,
    replaces: decision.replaces,
    revision,
  });
  try {
    return await orderAndPublish(renewal, state, decision, revision);
  } catch (error) {
    if (error instanceof RevisionConflictError) {
      deps.log.warn('revision conflict', { certificateId: id, revision });
      return {
        certificateId: id,
        result: 'skipped',
        reason: 'published by another run',
        nextCheckAt: null,
      };
    }
    return await recordFailure(id, state, decision, error, deps);
  }
}

/** Orders the certificate (failing over between CAs), stores its keystores, publishes and announces it. */
async function orderAndPublish(
  renewal: Renewal,
  state: CertificateState,
  decision: Extract<RenewalDecision, { due: true }>,
  revision: number,
): Promise<RenewalOutcome> {
  const { cert, deps, directory, profile } = renewal;
  const id = cert.id;
  const cas = [{ directory, eab: cert.eab }, ...cert.fallbacks];
  const privateKeyPem = await keyToReuse(cert, state, deps);
  const { issued, issuedBy } = await orderWithFailover(cas, state, deps, (ca) => ({
    privateKeyPem,
    preferredChain: cert.preferredChain?.issuerCommonName,
    certificateId: id,
    domains: cert.domains,
    keyType: cert.keyType,
    profile,
    challenge: cert.challenge,
    dnsDelegation: cert.dns?.delegation,
    // `replaces` names a certificate of the CA that issued it; another CA would refuse it.
    replaces: ca.directory === state.current?.directory ? (decision.replaces ?? undefined) : undefined,
  }));
  const now = deps.clock.now();
  const material = materialOf(issued, now);
  deps.log.info('certificate obtained', { certificateId: id, notAfter: material.chain[0].validTo });
  const record = await storeRevisionObjects({
    cert,
    material,
    revision,
    directory: issuedBy,
    configHash: renewal.hash,
    now,
    ...deps,
  });
  // The fleet rolls it out on the configuration's terms: one maxParallel for every node.
  const rollout = rolloutTermsOf(renewal.config, cert);
  await deps.state.publish(record, rollout);
  deps.log.info('revision published', {
    certificateId: id,
    revision,
    serial: record.serial,
    objects: record.objects.length,
    maxParallel: rollout.maxParallel,
    nodes: rollout.nodes?.length ?? null,
  });
  await announceRevision(cert, revision, deps);
  return {
    certificateId: id,
    result: 'renewed',
    reason: decision.reason,
    revision,
    serial: record.serial,
    directory: issuedBy,
  };
}

/** With `key.rotation: reuse`, the current revision's key (unless of another type); otherwise none. */
async function keyToReuse(
  cert: CertificateConfig,
  state: CertificateState,
  deps: RenewerDeps,
): Promise<string | undefined> {
  if (cert.key.rotation !== 'reuse' || !state.current) return undefined;
  const { revocation } = state;
  if (revocation?.revision === state.current.revision && revocation.reason === 'keyCompromise') {
    deps.log.warn('key revoked as compromised: new key', { certificateId: cert.id });
    return undefined;
  }
  const key = await reusableKey(cert, state.current, deps);
  deps.log.info(key ? 'key reused' : 'key type changed: new key', {
    certificateId: cert.id,
    revision: state.current.revision,
  });
  return key ?? undefined;
}

/**
 * Tells the agents about the new revision: in the head item their reconciles read, and with an
 * event. Neither failure is thrown (the revision is published): a node that misses both converges
 * at its next full reconcile, which reads every state item.
 */
export async function announceRevision(
  cert: CertificateConfig,
  revision: number,
  deps: Pick<RenewerDeps, 'events' | 'log' | 'state'>,
): Promise<void> {
  try {
    await deps.state.advanceHead(cert.id, revision);
  } catch (error) {
    deps.log.error('head not advanced', { certificateId: cert.id, revision, error: describe(error) });
  }
  try {
    await deps.events.publish({
      type: 'certificate.revision_published',
      certificateId: cert.id,
      revision,
      groups: cert.groups,
      nodes: cert.nodes,
      dmz: cert.dmz,
    });
  } catch (error) {
    // The revision is published; agents that miss the event converge on their next reconcile.
    deps.log.error('event not published', { certificateId: cert.id, revision, error: describe(error) });
  }
}

async function recordFailure(
  id: string,
  state: CertificateState,
  decision: RenewalDecision,
  error: unknown,
  deps: RenewerDeps,
): Promise<RenewalOutcome> {
  const code = error instanceof AcmeHaError ? error.code : 'UNEXPECTED';
  const message = error instanceof Error ? error.message : String(error);
  const retryAfter = error instanceof RateLimitedError ? error.retryAfter : null;
  const failure = nextFailure(state.failure, { code, message, retryAfter }, deps.clock.now());
  deps.log.error('renewal failed', {
    certificateId: id,
    errorCode: code,
    error: message,
    attempts: failure.attempts,
    nextAttemptAt: failure.nextAttemptAt,
  });
  // The state store may be what failed: the failure is still announced, and the run goes on.
  await deps.state
    .recordFailure(id, failure)
    .catch((e: unknown) => deps.log.error('failure not recorded', { certificateId: id, error: describe(e) }));
  await deps.events
    .publish({
      type: 'certificate.renewal_failed',
      certificateId: id,
      attempts: failure.attempts,
      errorCode: code,
      message,
      nextAttemptAt: failure.nextAttemptAt,
    })
    .catch((e: unknown) => deps.log.error('event not published', { certificateId: id, error: describe(e) }));
  return {
    certificateId: id,
    result: 'failed',
    reason: decision.due ? decision.reason : 'not-due',
    errorCode: code,
    message,
    nextAttemptAt: failure.nextAttemptAt,
  };
}

/** Failures that another CA may not have: down, rate-limited, refusing by policy — not a failed validation. */
function failsOver(error: unknown): boolean {
  return error instanceof IssuanceError && !(error instanceof ValidationFailedError);
}

/**
 * Orders from the preferred CA, then from each fallback in turn while the failure is one another CA
 * may not have. The next renewal starts with the preferred CA again.
 */
async function orderWithFailover(
  cas: readonly {
    readonly directory: string;
    readonly eab?: { kid: string; hmacKey: SecretSource } | undefined;
  }[],
  state: CertificateState,
  deps: RenewerDeps,
  request: (ca: { directory: string }) => Omit<IssueRequest, 'directory' | 'eab'>,
): Promise<{ issued: IssuedCertificate; issuedBy: string }> {
  for (const [i, ca] of cas.entries()) {
    try {
      const eab = ca.eab
        ? { kid: ca.eab.kid, hmacKey: await deps.secrets.resolve(ca.eab.hmacKey) }
        : undefined;
      const issued = await deps.issuer.issue({ ...request(ca), directory: ca.directory, eab });
      return { issued, issuedBy: ca.directory };
    } catch (error) {
      const next = cas[i + 1];
      if (!next || !failsOver(error)) throw error;
      deps.log.warn('CA failed; trying the next one', {
        certificateId: state.certificateId,
        directory: ca.directory,
        next: next.directory,
        error: describe(error),
      });
    }
  }
  throw new Error('no CA configured');
}

/** Asks the CA for its renewal window when the last answer's Retry-After has passed. */
async function refreshWindow(id: string, deps: RenewerDeps): Promise<CertificateState> {
  const state = await deps.state.get(id);
  const ariId = state.current?.ariCertId;
  // The CA that issued the current certificate is the one that knows its renewal window.
  const directory = state.current?.directory;
  if (!ariId || !directory) return state;
  if (state.window && deps.clock.now() < new Date(state.window.recheckAfter)) return state;
  try {
    const info = await deps.issuer.renewalInfo(directory, ariId);
    const window = info ? nextWindow(state.window, info, deps.random()) : null;
    await deps.state.recordWindow(id, window);
    if (window) deps.log.info('renewal window', { certificateId: id, ...window });
    return { ...state, window };
  } catch (error) {
    // Without an answer we keep what we knew; the lifetime rule still applies.
    deps.log.warn('renewal info unavailable', { certificateId: id, error: describe(error) });
    return state;
  }
}

function skipped(certificateId: string, decision: Extract<RenewalDecision, { due: false }>): RenewalOutcome {
  return {
    certificateId,
    result: 'skipped',
    reason: decision.reason,
    nextCheckAt: decision.nextCheckAt.toISOString(),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
