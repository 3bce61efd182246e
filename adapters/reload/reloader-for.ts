import { join } from 'node:path';
import type { ReloadConfig, TargetConfig } from '../../core/config/agent-config.ts';
import { PEM_FILES } from '../../core/keystore/pem-files.ts';
import type { Reloader } from '../../core/ports/reloader.ts';
import { CommandReloader } from './command-reloader.ts';
import { HaproxyRuntimeReloader } from './haproxy-runtime-reloader.ts';
import { HttpReloader } from './http-reloader.ts';
import { SignalReloader } from './signal-reloader.ts';

/** The reload action of a target: a command, a signal to a pid, an HTTP call, or HAProxy's runtime API. */
export function reloaderFor(
  reload: ReloadConfig,
  target: TargetConfig,
  headers: Readonly<Record<string, string>> = {},
): Reloader {
  const timeoutMs = reload.timeoutSeconds * 1000;
  if (reload.command) return new CommandReloader(reload.command, timeoutMs);
  if (reload.signal && reload.pidFile) return new SignalReloader(reload.signal, reload.pidFile);
  if (reload.http) return new HttpReloader(reload.http.url, reload.http.method, timeoutMs, headers);
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
