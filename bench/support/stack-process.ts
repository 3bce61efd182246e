/**
 * BENCHMARK HELPER: the embedded stack in a process of its own (`acme-ha local up --json`), so that
 * a bench can measure its own process's CPU without the emulators in it. Stopped with SIGINT by pid;
 * its whole process group (Pebble included) is killed if it does not stop in time.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ControlPlaneSettings } from '../../functions/commons/compose-control-plane.ts';
import type { LocalEndpoints } from '../../local/client-config.ts';
import { stackControlPlaneSettings } from '../../local/control-plane-settings.ts';
import { processCpuMs } from '../measure.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'acme-ha.js');

export interface StackProcess {
  readonly region: string;
  readonly endpoints: LocalEndpoints;
  readonly resources: { readonly tableName: string; readonly bucket: string; readonly topicArn: string };
  readonly pebble: { readonly directoryUrl: string; readonly caFile: string } | null;
  /** CPU time the stack's process has used so far (user + system), in ms; Pebble is a process of its own. */
  cpuMs(): number;
  stop(): Promise<void>;
}

export async function startStackProcess(prefix: string, env: NodeJS.ProcessEnv): Promise<StackProcess> {
  const child = spawn(process.execPath, [BIN, 'local', 'up', '--json', '--prefix', prefix], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const pid = child.pid;
  const killGroup = () => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    await Promise.race([exited, delay(10_000).then(killGroup)]);
  };
  try {
    let out = '';
    child.stdout.setEncoding('utf8');
    const line = await Promise.race([
      (async () => {
        for await (const chunk of child.stdout) {
          out += chunk;
          const newline = out.indexOf('\n');
          if (newline >= 0) return out.slice(0, newline);
        }
        throw new Error('local up exited before printing its JSON line');
      })(),
      delay(60_000).then(() => {
        throw new Error('local up did not start within 60 s');
      }),
    ]);
    const summary = JSON.parse(line) as Omit<StackProcess, 'cpuMs' | 'stop'>;
    return {
      ...summary,
      cpuMs: () => (pid === undefined ? Number.NaN : processCpuMs(pid)),
      stop,
    };
  } catch (error) {
    killGroup();
    throw error;
  }
}

/** The renewer's settings for a stack in its own process (Pebble's CA read from its file). */
export function stackProcessSettings(stack: StackProcess): ControlPlaneSettings {
  const { resources, pebble } = stack;
  return stackControlPlaneSettings({
    resources,
    pebble: pebble ? { caPem: readFileSync(pebble.caFile, 'utf8') } : undefined,
  });
}
