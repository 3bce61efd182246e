/**
 * Pebble, Let's Encrypt's ACME test CA (Debian package `pebble`), as a child process on free
 * 127.0.0.1 ports. Its roots and intermediates are regenerated at every start, so callers fetch
 * them from the management port rather than storing them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpsGetText } from './https-get.ts';
import { LocalStackError } from './local-stack-error.ts';
import { freeTcpPort, LOOPBACK } from './net.ts';
import { createListenerCertificate } from './pebble-listener-certificate.ts';
import { ensureTools, TOOLS } from './prerequisites.ts';

export interface PebbleOptions {
  /** Port on 127.0.0.1 where Pebble's validation authority sends HTTP-01 requests. */
  readonly httpPort: number;
  /** `host:port` of the DNS server the validation authority resolves identifiers with. */
  readonly dnsServer: string;
  /**
   * Where TLS-ALPN-01 validation would connect; we do not use that challenge type.
   * @default 5001
   */
  readonly tlsPort?: number;
  /**
   * Lifetime of issued certificates in seconds; set it small to exercise renewal.
   * @default Pebble's own (5 years)
   */
  readonly certificateValidityPeriod?: number;
  /** Domains Pebble refuses to issue for (and their subdomains). */
  readonly domainBlocklist?: readonly string[];
  /**
   * Require external account binding on newAccount.
   * @default false
   */
  readonly externalAccountBindingRequired?: boolean;
  /** EAB key ids mapped to their base64url HMAC keys. */
  readonly externalAccountMacKeys?: Readonly<Record<string, string>>;
  /**
   * The caller's environment; its PEBBLE_* variables (chaos settings such as
   * PEBBLE_WFE_NONCEREJECT) reach Pebble unchanged, over our defaults: `PEBBLE_VA_NOSLEEP: '0'`
   * brings back the random sleep before each validation, at most PEBBLE_VA_SLEEPTIME seconds.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives Pebble's own log lines. */
  readonly onOutput?: (line: string) => void;
  /** Receives one line per setup action (such as a one-time package install). */
  readonly onProgress?: (line: string) => void;
  /** @default 15000 */
  readonly startTimeoutMs?: number;
}

export interface PebbleServer {
  /** Process id of the Pebble running now (a new one after {@link PebbleServer.restart}). */
  readonly pid: number;
  /** ACME directory, e.g. `https://127.0.0.1:PORT/dir`. */
  readonly directoryUrl: string;
  /** Management interface (`/roots/0`, `/intermediates/0`, …). */
  readonly managementUrl: string;
  readonly listenPort: number;
  readonly managementPort: number;
  /** Where HTTP-01 validation requests go. */
  readonly httpPort: number;
  /** PEM file and text of the CA that signed Pebble's HTTPS listeners: trust it to talk to Pebble. */
  readonly caFile: string;
  readonly caPem: string;
  /** The PEBBLE_* variables Pebble runs with (defaults included). */
  readonly settings: Readonly<Record<string, string>>;
  /**
   * PEM of the root that issued certificates chain to (new at every start): `chain` 0 is the default
   * chain's, 1… the alternate chains' (`PEBBLE_ALTERNATE_ROOTS`).
   */
  rootCertificate(chain?: number): Promise<string>;
  /** PEM of the intermediate that issues leaf certificates. */
  intermediateCertificate(): Promise<string>;
  /**
   * What Pebble's management interface says of a certificate it issued (`/cert-status-by-serial/`):
   * `Valid` or `Revoked` with the RFC 5280 reason code.
   */
  certificateStatus(serialHex: string): Promise<{ readonly status: string; readonly reason: number | null }>;
  /**
   * Stops the Pebble process and starts a new one on the same ports, configuration and listener
   * certificate, so `directoryUrl` and `caPem` stay valid. Everything Pebble keeps in memory is
   * gone: accounts, orders, authorizations, nonces, and its roots (new ones are generated). Resolves
   * once the new process answers. Not for concurrent calls.
   * @throws LocalStackError when Pebble is stopped, or the new process exits or does not answer
   */
  restart(): Promise<void>;
  /** Terminates Pebble and removes its files; idempotent. */
  stop(): Promise<void>;
}

/** Settings for deterministic runs unless the caller chose otherwise. */
const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  // No random 0–15 s sleep before each validation.
  PEBBLE_VA_NOSLEEP: '1',
  // Authorization reuse (default 50 %) makes "was HTTP-01 really done?" non-deterministic.
  PEBBLE_AUTHZREUSE: '0',
};
const ATTEMPTS = 3;
const OUTPUT_LINES_KEPT = 40;

/**
 * Installs Pebble if needed (apt-get as root), writes its listener certificate and configuration,
 * starts it on free ports and resolves once its ACME directory answers.
 * @throws MissingToolError when Pebble is absent and cannot be installed
 * @throws LocalStackError when Pebble exits or does not answer in time (with its last output lines)
 */
export async function startPebble(options: PebbleOptions): Promise<PebbleServer> {
  await ensureTools([TOOLS.pebble, TOOLS.openssl], options.onProgress);
  const dir = await mkdtemp(join(tmpdir(), 'acme-ha-pebble-'));
  try {
    const listener = await createListenerCertificate(dir);
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce(options, dir, listener);
      } catch (error) {
        // Free ports are picked before Pebble binds them; another process may win the race.
        const raced = error instanceof LocalStackError && /address already in use/.test(error.message);
        if (!raced || attempt >= ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Files of Pebble's HTTPS listener certificate, kept for the life of the server (restarts too). */
interface ListenerCertificate {
  readonly caFile: string;
  readonly caPem: string;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
}

/** What one Pebble process needs: everything but the process stays across restarts. */
interface LaunchPlan {
  readonly options: PebbleOptions;
  readonly dir: string;
  readonly configFile: string;
  readonly directoryUrl: string;
  readonly caPem: string;
  readonly env: NodeJS.ProcessEnv;
}

/** One running Pebble process. */
interface PebbleProcess {
  readonly pid: number;
  /** SIGTERM (SIGKILL after 3 s) and wait for the exit; idempotent. */
  terminate(): Promise<void>;
}

async function startOnce(
  options: PebbleOptions,
  dir: string,
  listener: ListenerCertificate,
): Promise<PebbleServer> {
  const listenPort = await freeTcpPort();
  let managementPort = await freeTcpPort();
  while (managementPort === listenPort) managementPort = await freeTcpPort();
  const configFile = join(dir, 'pebble-config.json');
  await writeFile(
    configFile,
    JSON.stringify(pebbleConfig(options, listenPort, managementPort, listener), null, 2),
  );
  const callerEnv = options.env ?? process.env;
  const settings = pebbleSettings(callerEnv);
  const directoryUrl = `https://${LOOPBACK}:${listenPort}/dir`;
  const managementUrl = `https://${LOOPBACK}:${managementPort}`;
  const plan: LaunchPlan = {
    options,
    dir,
    configFile,
    directoryUrl,
    caPem: listener.caPem,
    env: { ...callerEnv, ...settings },
  };
  let current = await launch(plan);
  let stopped = false;

  const management = async (path: string): Promise<string> => {
    const { status, body } = await httpsGetText(`${managementUrl}${path}`, listener.caPem);
    if (status !== 200) throw new LocalStackError('pebble', `GET ${path} answered ${status}: ${body.trim()}`);
    return body;
  };
  return {
    get pid() {
      return current.pid;
    },
    directoryUrl,
    managementUrl,
    listenPort,
    managementPort,
    httpPort: options.httpPort,
    caFile: listener.caFile,
    caPem: listener.caPem,
    settings,
    rootCertificate: (chain = 0) => management(`/roots/${chain}`),
    intermediateCertificate: () => management('/intermediates/0'),
    certificateStatus: async (serialHex) => {
      const body = JSON.parse(await management(`/cert-status-by-serial/${serialHex}`)) as {
        Status?: string;
        Reason?: number;
      };
      return { status: body.Status ?? 'unknown', reason: body.Reason ?? null };
    },
    restart: async () => {
      if (stopped) throw new LocalStackError('pebble', 'cannot restart a stopped Pebble');
      await current.terminate();
      current = await launch(plan);
    },
    stop: async () => {
      stopped = true;
      await current.terminate();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Spawns Pebble on the plan's configuration and resolves once its directory answers.
 * @throws LocalStackError when it exits or does not answer in time (the process is gone then)
 */
async function launch(plan: LaunchPlan): Promise<PebbleProcess> {
  const { options } = plan;
  const child = spawn(TOOLS.pebble.command, ['-config', plan.configFile, '-dnsserver', options.dnsServer], {
    cwd: plan.dir,
    env: plan.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child, options.onOutput);
  // 'exit' does not follow a failed spawn; 'close' follows both.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('error', (error) => output.lines.push(`cannot run ${TOOLS.pebble.command}: ${error.message}`));
  // Never leave an orphaned Pebble behind when this process exits without calling stop().
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let terminating: Promise<void> | undefined;
  const terminate = (): Promise<void> => {
    terminating ??= (async () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', killOnExit);
    })();
    return terminating;
  };

  try {
    await waitUntilAnswering(plan.directoryUrl, plan.caPem, child, output, options.startTimeoutMs ?? 15_000);
  } catch (error) {
    // The directory stays: startPebble may retry in it, and removes it when it gives up.
    await terminate();
    throw error;
  }
  const { pid } = child;
  if (pid === undefined) throw new LocalStackError('pebble', 'no process id');
  return { pid, terminate };
}

function pebbleConfig(
  options: PebbleOptions,
  listenPort: number,
  managementPort: number,
  listener: ListenerCertificate,
): { pebble: Record<string, unknown> } {
  return {
    pebble: {
      listenAddress: `${LOOPBACK}:${listenPort}`,
      managementListenAddress: `${LOOPBACK}:${managementPort}`,
      certificate: listener.certificateFile,
      privateKey: listener.privateKeyFile,
      httpPort: options.httpPort,
      tlsPort: options.tlsPort ?? 5001,
      ocspResponderURL: '',
      externalAccountBindingRequired: options.externalAccountBindingRequired ?? false,
      ...(options.externalAccountMacKeys ? { externalAccountMACKeys: options.externalAccountMacKeys } : {}),
      ...(options.certificateValidityPeriod !== undefined
        ? { certificateValidityPeriod: options.certificateValidityPeriod }
        : {}),
      ...(options.domainBlocklist ? { domainBlocklist: options.domainBlocklist } : {}),
    },
  };
}

/** The caller's PEBBLE_* variables over our deterministic defaults. */
function pebbleSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  const settings: Record<string, string> = { ...DEFAULT_SETTINGS };
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('PEBBLE_') && value !== undefined) settings[name] = value;
  }
  return settings;
}

interface Output {
  readonly lines: string[];
}

function collectOutput(child: ChildProcess, onOutput?: (line: string) => void): Output {
  const output: Output = { lines: [] };
  const take = (stream: NodeJS.ReadableStream | null) => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        output.lines.push(line);
        if (output.lines.length > OUTPUT_LINES_KEPT) output.lines.shift();
        onOutput?.(line);
      }
    });
  };
  take(child.stdout);
  take(child.stderr);
  return output;
}

async function waitUntilAnswering(
  directoryUrl: string,
  ca: string,
  child: ChildProcess,
  output: Output,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  const failure = (detail: string) =>
    new LocalStackError('pebble', `${detail}\n${output.lines.slice(-10).join('\n')}`.trim());
  for (;;) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      // Give the pipes a moment to deliver the reason ("address already in use", bad config…).
      await sleep(20);
      throw failure(`exited with ${child.exitCode ?? child.signalCode} before answering`);
    }
    try {
      const { status } = await httpsGetText(directoryUrl, ca, 1_000);
      if (status === 200) return;
      lastError = `directory answered ${status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline)
      throw failure(`directory did not answer within ${timeoutMs} ms (${lastError})`);
    await sleep(20);
  }
}
