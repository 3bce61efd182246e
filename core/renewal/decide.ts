import { createHash } from 'node:crypto';
import type { CertificateConfig } from '../config/certificate-config.ts';
import { pickInWindow } from './ari.ts';
import type { CertificateState, RenewalInfo, RenewalWindow } from './types.ts';

export type RenewalReason =
  | 'first-issuance'
  | 'forced'
  | 'config-changed'
  | 'expired'
  | 'ari-window'
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
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

/**
 * Whether a certificate must be ordered now. Order of precedence: `force`; a pending backoff; no
 * certificate yet; changed settings; expired; the ARI window's chosen moment has come; without ARI,
 * two thirds of the lifetime have passed (one third left).
 */
export function decideRenewal(input: {
  readonly state: CertificateState;
  readonly configHash: string;
  readonly now: Date;
  readonly force: boolean;
}): RenewalDecision {
  const { state, now } = input;
  const current = state.current;
  const replaces = current?.ariCertId ?? null;
  if (input.force) return { due: true, reason: 'forced', replaces };
  if (state.failure && now < new Date(state.failure.nextAttemptAt)) {
    return { due: false, reason: 'backing-off', nextCheckAt: new Date(state.failure.nextAttemptAt) };
  }
  if (!current) return { due: true, reason: 'first-issuance', replaces: null };
  if (current.configHash !== input.configHash) return { due: true, reason: 'config-changed', replaces: null };
  if (now >= new Date(current.notAfter)) return { due: true, reason: 'expired', replaces };
  if (state.window) {
    const at = new Date(state.window.selectedAt);
    return now >= at
      ? { due: true, reason: 'ari-window', replaces }
      : { due: false, reason: 'not-due', nextCheckAt: at };
  }
  const notBefore = new Date(current.notBefore).getTime();
  const notAfter = new Date(current.notAfter).getTime();
  const at = new Date(notBefore + ((notAfter - notBefore) * 2) / 3);
  return now >= at
    ? { due: true, reason: 'lifetime', replaces }
    : { due: false, reason: 'not-due', nextCheckAt: at };
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
