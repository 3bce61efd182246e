import { createHash } from 'node:crypto';
import type { CertificateConfig } from '../config/certificate-config.ts';
import { renewBeforeOf } from '../config/rules.ts';
import { pickInWindow } from './ari.ts';
import type { CertificateState, RenewalInfo, RenewalWindow } from './types.ts';

export type RenewalReason =
  | 'first-issuance'
  | 'forced'
  | 'revoked'
  | 'config-changed'
  | 'expired'
  | 'ari-window'
  | 'renew-before'
  | 'lifetime';

export type RenewalDecision =
  | { readonly due: true; readonly reason: RenewalReason; readonly replaces: string | null }
  | { readonly due: false; readonly reason: 'not-due' | 'backing-off'; readonly nextCheckAt: Date };

/** The settings that shape a certificate: a change of any of them needs a new order. */
export function configHash(cert: CertificateConfig, directory: string, profile: string | undefined): string {
  const shape = {
    domains: [...cert.domains].sort(),
    keyType: cert.keyType,
    profile: profile ?? null,
    directory,
    // Only when set, so that configurations without it keep their hash (no renewal on upgrade).
    ...(cert.preferredChain ? { preferredChain: cert.preferredChain.issuerCommonName } : {}),
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

/**
 * The moment `renewBefore` asks for, or null when it is not set or reaches back to the certificate's
 * start (longer than its lifetime: the default rule applies instead).
 */
export function renewBeforeAt(text: string | undefined, notBefore: number, notAfter: number): Date | null {
  const renewBefore = text === undefined ? null : renewBeforeOf(text);
  if (!renewBefore) return null;
  const before = 'ms' in renewBefore ? renewBefore.ms : (notAfter - notBefore) * renewBefore.share;
  return notAfter - before > notBefore ? new Date(notAfter - before) : null;
}

/**
 * Whether a certificate must be ordered now. Order of precedence: `force`; a pending backoff; no
 * certificate yet; the current one revoked; changed settings; expired; the ARI window's chosen moment or `renewBefore`'s,
 * whichever comes first; without either, two thirds of the lifetime have passed (one third left).
 */
export function decideRenewal(input: {
  readonly state: CertificateState;
  readonly configHash: string;
  readonly now: Date;
  readonly force: boolean;
  /** The certificate's `renewBefore` as written (`30d`, `33%`). */
  readonly renewBefore?: string | undefined;
}): RenewalDecision {
  const { state, now } = input;
  const current = state.current;
  const replaces = current?.ariCertId ?? null;
  if (input.force) return { due: true, reason: 'forced', replaces };
  if (state.failure && now < new Date(state.failure.nextAttemptAt)) {
    return { due: false, reason: 'backing-off', nextCheckAt: new Date(state.failure.nextAttemptAt) };
  }
  if (!current) return { due: true, reason: 'first-issuance', replaces: null };
  // A revoked certificate is replaced at once; `replaces` would name a certificate the CA revoked.
  if (state.revocation?.revision === current.revision)
    return { due: true, reason: 'revoked', replaces: null };
  if (current.configHash !== input.configHash) return { due: true, reason: 'config-changed', replaces: null };
  if (now >= new Date(current.notAfter)) return { due: true, reason: 'expired', replaces };
  const notBefore = new Date(current.notBefore).getTime();
  const notAfter = new Date(current.notAfter).getTime();
  const deadline = renewBeforeAt(input.renewBefore, notBefore, notAfter);
  const moments: { at: Date; reason: RenewalReason }[] = [];
  if (state.window) moments.push({ at: new Date(state.window.selectedAt), reason: 'ari-window' });
  if (deadline) moments.push({ at: deadline, reason: 'renew-before' });
  if (moments.length === 0)
    moments.push({ at: new Date(notBefore + ((notAfter - notBefore) * 2) / 3), reason: 'lifetime' });
  const next = moments.reduce((a, b) => (b.at < a.at ? b : a));
  return now >= next.at
    ? { due: true, reason: next.reason, replaces }
    : { due: false, reason: 'not-due', nextCheckAt: next.at };
}

/**
 * The window to remember after a renewalInfo answer: the chosen moment is kept while the CA's window
 * stays the same, and drawn anew (uniformly inside it) when the CA moves it.
 */
export function nextWindow(previous: RenewalWindow | null, info: RenewalInfo, random: number): RenewalWindow {
  const start = info.start.toISOString();
  const end = info.end.toISOString();
  const same = previous?.start === start && previous.end === end;
  return {
    start,
    end,
    selectedAt: same ? previous.selectedAt : pickInWindow(info.start, info.end, random).toISOString(),
    recheckAfter: info.retryAfter.toISOString(),
    explanationUrl: info.explanationUrl,
  };
}
