import type { KeyType, Profile } from '../config/certificate-config.ts';
import type { RolloutTerms } from '../ports/rollout-store.ts';

/** One stored object of a revision (a keystore file), with what a node needs to verify it. */
export interface RevisionObject {
  /** File name on the node side: `files.jks`, `fullchain.pem`, … */
  readonly name: string;
  readonly format: 'jks' | 'pkcs12' | 'pem';
  /** Object key in the keystore store. */
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * A published revision: immutable once written. Revisions of one certificate are numbered 1, 2, …
 * and a node only ever moves to a higher number.
 */
export interface Revision {
  readonly certificateId: string;
  readonly revision: number;
  readonly serial: string;
  readonly sans: readonly string[];
  readonly notBefore: string;
  readonly notAfter: string;
  readonly issuer: string;
  /** ACME directory that issued it. */
  readonly directory: string;
  /** RFC 9773 certificate identifier (base64url AKI keyIdentifier "." base64url serial). */
  readonly ariCertId: string | null;
  /** Hash of the settings that shape the certificate (names, key type, profile). */
  readonly configHash: string;
  readonly objects: readonly RevisionObject[];
  readonly createdAt: string;
}

/** The renewal window a CA suggested through ARI, with the moment we picked inside it. */
export interface RenewalWindow {
  readonly start: string;
  readonly end: string;
  /** Uniformly random inside [start, end], picked once per window (RFC 9773 §4.2). */
  readonly selectedAt: string;
  /** Do not ask again before this time (the Retry-After of the answer). */
  readonly recheckAfter: string;
  readonly explanationUrl?: string | undefined;
}

/** Consecutive failures of one certificate, persisted so that retries back off across runs. */
export interface FailureState {
  readonly attempts: number;
  readonly lastErrorCode: string;
  readonly lastErrorMessage: string;
  readonly lastAttemptAt: string;
  readonly nextAttemptAt: string;
}

/** What the renewer remembers of one certificate between runs. */
export interface CertificateState {
  readonly certificateId: string;
  /** The newest published revision, or null before the first issuance. */
  readonly current: Revision | null;
  readonly window: RenewalWindow | null;
  readonly failure: FailureState | null;
  /** The last revision revoked at the CA (`acme-ha revoke`); the renewer replaces it at once. */
  readonly revocation: Revocation | null;
  /**
   * When the certificate left the configuration (a run found it gone), or null while it is in it.
   * Nodes stop installing a retired certificate and report it as such; nothing is deleted.
   */
  readonly retiredAt: string | null;
  /**
   * The rollout terms published with `current`, when the store reads them with it (null: published
   * without terms); absent where it does not, and {@link CertificateStateStore.rolloutTerms} tells.
   */
  readonly currentTerms?: RolloutTerms | null;
}

/**
 * Every certificate the renewer has known: in the configuration (null) or retired since (ISO time).
 * One item, read once per run, so that a certificate leaving the configuration is noticed without
 * scanning the table.
 */
export interface CertificateCatalog {
  readonly certificates: Readonly<Record<string, string | null>>;
  /** What a write of the next catalog expects to replace (0: none written yet). */
  readonly version: number;
}

/** Reasons a certificate may be revoked for (RFC 5280 §5.3.1), as Let's Encrypt accepts them. */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export interface Revocation {
  readonly revision: number;
  readonly serial: string;
  readonly reason: RevocationReason;
  readonly revokedAt: string;
}

/** What the CA is asked to issue. */
export interface IssueRequest {
  readonly certificateId: string;
  readonly directory: string;
  readonly domains: readonly string[];
  readonly keyType: KeyType;
  readonly profile?: Profile | undefined;
  readonly eab?: { readonly kid: string; readonly hmacKey: string } | undefined;
  /** ARI certificate identifier of the certificate this order replaces (RFC 9773 §5). */
  readonly replaces?: string | undefined;
  /** @default 'http-01' */
  readonly challenge?: 'http-01' | 'dns-01';
  /** DNS-01: the validation zone `_acme-challenge` names are delegated to by CNAME. */
  readonly dnsDelegation?: string | undefined;
  /** Of the CA's alternate chains, the one with a certificate issued by this common name. */
  readonly preferredChain?: string | undefined;
  /** The key to order with (PKCS#8 PEM), kept from the current revision; a new one when absent. */
  readonly privateKeyPem?: string | undefined;
}

/** A freshly issued certificate and its key, PEM encoded. */
export interface IssuedCertificate {
  readonly privateKeyPem: string;
  /** Leaf first, then the intermediates, as the CA sent them. */
  readonly chainPem: string;
}

/** The answer of a renewalInfo request. */
export interface RenewalInfo {
  readonly start: Date;
  readonly end: Date;
  readonly explanationUrl?: string | undefined;
  /** When to ask again (Retry-After). */
  readonly retryAfter: Date;
}
