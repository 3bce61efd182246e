import type { DrainerFactory } from '../../core/agent/plan-certificates.ts';
import type { DrainConfig, TargetConfig } from '../../core/config/agent-config.ts';
import { CommandDrainer } from './command-drainer.ts';
import { HaproxyDrainer } from './haproxy-drainer.ts';
import type { HealthEndpoints } from './health-endpoint.ts';

/** Each call to the load balancer (or command) may take this long. */
const CALL_TIMEOUT_MS = 10_000;

/**
 * The drain actions of a process's targets: HAProxy's runtime API, a command pair, or a health
 * endpoint of `health` (which the caller listens on once the targets are planned, and closes).
 */
export function drainerFactory(health: HealthEndpoints): DrainerFactory {
  return (drain: DrainConfig, target: TargetConfig) => {
    if (drain.haproxy)
      return new HaproxyDrainer(
        drain.haproxy.socket,
        drain.haproxy.backend,
        drain.haproxy.server,
        CALL_TIMEOUT_MS,
      );
    if (drain.command) return new CommandDrainer(drain.command.drain, drain.command.ready, CALL_TIMEOUT_MS);
    if (drain.health)
      return health.drainer(
        drain.health,
        target.probe.map((p) => ({ host: p.host, port: p.port })),
      );
    // The schema admits exactly one kind; this is unreachable for a parsed configuration.
    throw new Error('drain action without a kind');
  };
}
