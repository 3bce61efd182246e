import type { DrainConfig, ReloadConfig, TargetConfig } from '../config/agent-config.ts';
import { PEM_FILES } from '../keystore/pem-files.ts';
import type { Drainer } from '../ports/drainer.ts';
import type { Reloader } from '../ports/reloader.ts';
import { resolveIfNamed, type SecretResolver } from '../ports/secret-resolver.ts';
import type { CertificatePlan, PlannedTarget } from './sync/plan.ts';

/**
 * Makes the reload action a target's configuration describes (adapters/reload/reloader-for.ts), with
 * the HTTP headers of an `http` reload resolved (secrets included).
 */
export type ReloaderFactory = (
  reload: ReloadConfig,
  target: TargetConfig,
  headers: Readonly<Record<string, string>>,
) => Reloader;

/** Makes the drain action a target's configuration describes (adapters/reload/drainer-for.ts). */
export type DrainerFactory = (drain: DrainConfig, target: TargetConfig) => Drainer;

/**
 * Turns configured targets (of an agent or a DMZ receiver) into sync plans: targets grouped by
 * certificate (one rollout slot covers all of a certificate's targets on this node), passwords
 * resolved up front so that a missing variable stops the process at start rather than at the first
 * renewal. The same for secret HTTP reload headers.
 * @throws SecretUnavailableError naming the variable
 */
export async function planCertificates(
  targets: readonly TargetConfig[],
  secrets: SecretResolver,
  reloaderFor: ReloaderFactory,
  drainerFor: DrainerFactory,
): Promise<CertificatePlan[]> {
  const byCertificate = new Map<string, PlannedTarget[]>();
  for (const target of targets) {
    const planned = await planTarget(target, secrets, reloaderFor, drainerFor);
    byCertificate.set(target.certificateId, [...(byCertificate.get(target.certificateId) ?? []), planned]);
  }
  return [...byCertificate].map(([certificateId, planned]) => ({ certificateId, targets: planned }));
}

async function planTarget(
  target: TargetConfig,
  secrets: SecretResolver,
  reloaderFor: ReloaderFactory,
  drainerFor: DrainerFactory,
): Promise<PlannedTarget> {
  const password = await resolveIfNamed(secrets, target.password);
  const keyPassword = await resolveIfNamed(secrets, target.keyPassword);
  return {
    selection: {
      format: target.format,
      pemFiles: target.files ?? Object.values(PEM_FILES),
      password,
      keyPassword,
      alias: target.alias,
      names: target.names,
    },
    path: target.path,
    mode: target.mode,
    owner: target.owner,
    group: target.group,
    reloader: target.reload
      ? reloaderFor(target.reload, target, await resolveHeaders(target.reload, secrets))
      : null,
    drain: target.drain
      ? {
          drainer: drainerFor(target.drain, target),
          timeoutMs: target.drain.timeoutSeconds * 1000,
          settleMs: target.drain.settleSeconds * 1000,
        }
      : null,
    probes: target.probe.map((p) => ({
      host: p.host,
      port: p.port,
      servername: p.sni ?? target.names[0] ?? p.host,
    })),
  };
}

async function resolveHeaders(
  reload: ReloadConfig,
  secrets: SecretResolver,
): Promise<Record<string, string>> {
  const entries = Object.entries(reload.http?.headers ?? {});
  return Object.fromEntries(
    await Promise.all(
      entries.map(async ([name, value]) => [
        name,
        typeof value === 'string' ? value : await secrets.resolve(value),
      ]),
    ),
  );
}
