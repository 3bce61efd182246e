import type { DrainConfig } from '../../core/config/agent-config.ts';
import type { Drainer } from '../../core/ports/drainer.ts';
import { CommandDrainer } from './command-drainer.ts';
import { HaproxyDrainer } from './haproxy-drainer.ts';

/** Each call to the load balancer (or command) may take this long. */
const CALL_TIMEOUT_MS = 10_000;

/** The drain action of a target: HAProxy's runtime API, or a command pair. */
export function drainerFor(drain: DrainConfig): Drainer {
  if (drain.haproxy)
    return new HaproxyDrainer(
      drain.haproxy.socket,
      drain.haproxy.backend,
      drain.haproxy.server,
      CALL_TIMEOUT_MS,
    );
  if (drain.command) return new CommandDrainer(drain.command.drain, drain.command.ready, CALL_TIMEOUT_MS);
  // The schema admits exactly one kind; this is unreachable for a parsed configuration.
  throw new Error('drain action without a kind');
}
