/**
 * When a node counts as silent, lagging for too long, or serving a certificate too close to expiry:
 * the thresholds `acme-ha status`, the fleet-watch function and the stack's alarms share.
 */
import type { AcmeHaConfig, CertificateConfig, Profile } from '../config/certificate-config.ts';

/**
 * Days left below which a served certificate is "expiring", by profile: well after the renewer's own
 * point (a third of the lifetime left: 30 d classic, 15 d tlsserver, about 2 d shortlived), early
 * enough to act by hand.
 */
export const EXPIRY_DAYS: Readonly<Record<Profile, number>> = { classic: 14, tlsserver: 7, shortlived: 1 };

/** The agent's default reconcile interval (agent config `reconcileIntervalSeconds`: 900). */
export const AGENT_RECONCILE_MINUTES = 15;

/**
 * A node that has not reported for this long is silent: two reconcile intervals of the agent plus a
 * margin for a slow sync, so one missed reconcile is no alarm but a stopped agent is.
 */
export const DEFAULT_SILENT_AFTER_MINUTES = 2 * AGENT_RECONCILE_MINUTES + 5;

/** A node may lag behind the current revision this long (a rollout, canary first, takes minutes). */
export const DEFAULT_LAG_GRACE_MINUTES = 120;

/** The thresholds one certificate's fleet is judged by. */
export interface FleetThresholds {
  readonly silentAfterMinutes: number;
  readonly lagGraceMinutes: number;
  readonly expiryDays: number;
}

/** Overrides of the defaults; each absent one takes its default. */
export interface FleetThresholdSettings {
  readonly silentAfterMinutes?: number | undefined;
  readonly lagGraceMinutes?: number | undefined;
  /** For every certificate, instead of the value of its profile. */
  readonly expiryDays?: number | undefined;
}

/** The profile a certificate is issued with: its own, the configuration's default, or classic. */
export function profileOf(config: AcmeHaConfig, certificate: CertificateConfig): Profile {
  return certificate.profile ?? config.defaults.profile ?? 'classic';
}

/**
 * The profile a certificate's lifetime suggests, for when no configuration says (`acme-ha status
 * --certificate ID`): 160 hours is shortlived, 45 days tlsserver, 90 days classic.
 */
export function profileOfLifetime(notBefore: string, notAfter: string): Profile {
  const days = (Date.parse(notAfter) - Date.parse(notBefore)) / 86_400_000;
  if (!Number.isFinite(days)) return 'classic';
  if (days <= 10) return 'shortlived';
  if (days <= 60) return 'tlsserver';
  return 'classic';
}

export function fleetThresholds(profile: Profile, settings: FleetThresholdSettings = {}): FleetThresholds {
  return {
    silentAfterMinutes: settings.silentAfterMinutes ?? DEFAULT_SILENT_AFTER_MINUTES,
    lagGraceMinutes: settings.lagGraceMinutes ?? DEFAULT_LAG_GRACE_MINUTES,
    expiryDays: settings.expiryDays ?? EXPIRY_DAYS[profile],
  };
}
