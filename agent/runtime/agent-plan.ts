import { join } from 'node:path';
import { CommandReloader } from '../../adapters/reload/command-reloader.ts';
import { HaproxyRuntimeReloader } from '../../adapters/reload/haproxy-runtime-reloader.ts';
import { HttpReloader } from '../../adapters/reload/http-reloader.ts';
import { SignalReloader } from '../../adapters/reload/signal-reloader.ts';
import type { AgentConfig, ReloadConfig, TargetConfig } from '../../core/agent/agent-config.ts';
import type { CertificatePlan, PlannedTarget } from '../../core/agent/sync-certificate.ts';
import { PEM_FILES } from '../../core/keystore/pem-files.ts';
import type { Reloader } from '../../core/ports/reloader.ts';
import type { SecretResolver } from '../../core/ports/secret-resolver.ts';

/**
 * Turns the agent configuration into sync plans: targets grouped by certificate (one rollout slot
 * covers all of a certificate's targets on this node), passwords resolved up front so that a
 * missing variable stops the agent at start rather than at the first renewal.
 * @throws SecretUnavailableError naming the variable
 */
export async function planCertificates(
  config: Pick<AgentConfig, 'targets'>,
  secrets: SecretResolver,
): Promise<CertificatePlan[]> {
  const byCertificate = new Map<string, PlannedTarget[]>();
  for (const target of config.targets) {
    const planned = await planTarget(target, secrets);
    byCertificate.set(target.certificateId, [...(byCertificate.get(target.certificateId) ?? []), planned]);
  }
  return [...byCertificate].map(([certificateId, targets]) => ({ certificateId, targets }));
}

async function planTarget(target: TargetConfig, secrets: SecretResolver): Promise<PlannedTarget> {
  const password = target.password ? await secrets.resolve(target.password) : undefined;
  return {
    selection: {
      format: target.format,
      pemFiles: target.files ?? Object.values(PEM_FILES),
      password,
      alias: target.alias,
      names: target.names,
    },
    path: target.path,
    mode: target.mode,
    owner: target.owner,
    group: target.group,
    reloader: target.reload ? reloaderFor(target.reload, target) : null,
    probes: target.probe.map((p) => ({
      host: p.host,
      port: p.port,
      servername: p.sni ?? target.names[0] ?? p.host,
    })),
  };
}

export function reloaderFor(reload: ReloadConfig, target: TargetConfig): Reloader {
  const timeoutMs = reload.timeoutSeconds * 1000;
  if (reload.command) return new CommandReloader(reload.command, timeoutMs);
  if (reload.signal && reload.pidFile) return new SignalReloader(reload.signal, reload.pidFile);
  if (reload.http) return new HttpReloader(reload.http.url, reload.http.method, timeoutMs);
  if (reload.haproxy)
    return new HaproxyRuntimeReloader(
      reload.haproxy.socket,
      reload.haproxy.certificate,
      join(target.path, PEM_FILES.combined),
      timeoutMs,
    );
  // The schema admits exactly one kind; this is unreachable for a parsed configuration.
  throw new Error('reload action without a kind');
}
