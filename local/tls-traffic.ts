/**
 * Clients of a cluster during a rollout: each makes fresh TLS connections back to back (no session
 * reuse, so every request sees the certificate served now), verifies the chain against the CA and
 * the name, sends one HTTP/1.0 request and expects `200` with the body `ok` (a newline after it or not: HAProxy's `return` has none). Every request is counted
 * in the phase current when it started: successes with their latency, failures by kind (a
 * connection refused or reset, a TLS verification error, an HTTP error, a cut-off answer).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { LOOPBACK } from './net.ts';

/** What clients saw in one phase: requests that succeeded, failures by kind, latencies (ms). */
export interface PhaseTraffic {
  ok: number;
  failures: Record<string, number>;
  latenciesMs: number[];
}

export const newPhase = (): PhaseTraffic => ({ ok: 0, failures: {}, latenciesMs: [] });

export const failed = (phase: PhaseTraffic): number =>
  Object.values(phase.failures).reduce((a, b) => a + b, 0);

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const OK = /^HTTP\/1\.[01] 200 [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\nok\n?$/;

/** One request on a fresh TLS connection, verified against `ca`; the failure's kind or null. */
function oneRequest(port: number, servername: string, ca: readonly string[]): Promise<string | null> {
  return new Promise((resolve) => {
    let answer = '';
    let settled = false;
    const done = (kind: string | null) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(kind);
    };
    const socket = connect({ host: LOOPBACK, port, servername, ca: [...ca] });
    socket.setTimeout(5_000, () => done('timeout'));
    socket.on('secureConnect', () => {
      if (!socket.authorized) done(`tls-verify: ${String(socket.authorizationError)}`);
      else socket.write(`GET / HTTP/1.0\r\nHost: ${servername}\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.on('end', () => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
      done(OK.test(answer) ? null : status && status !== '200' ? `http-${status}` : 'cut-off');
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      done(
        error.code?.startsWith('ERR_TLS') || /certificate/i.test(error.message)
          ? 'tls-verify'
          : (error.code ?? 'error'),
      ),
    );
  });
}

export interface TrafficOptions {
  /** The load balancer's port on 127.0.0.1. */
  readonly port: number;
  /** The name clients ask for (SNI) and verify. */
  readonly servername: string;
  /** PEM certificates the clients trust. */
  readonly ca: readonly string[];
  readonly clients: number;
  /** The phase a request is counted in, asked as it starts. */
  readonly phase: () => PhaseTraffic;
  readonly signal: AbortSignal;
}

/** Runs the clients until `signal` aborts; resolves when the last request has ended. */
export async function runTraffic(options: TrafficOptions): Promise<void> {
  const { port, servername, ca, signal } = options;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (!signal.aborted) {
        const counted = options.phase();
        const t0 = performance.now();
        const kind = await oneRequest(port, servername, ca);
        if (kind === null) {
          counted.ok++;
          counted.latenciesMs.push(performance.now() - t0);
        } else counted.failures[kind] = (counted.failures[kind] ?? 0) + 1;
      }
    }),
  );
}

/**
 * Clients through the balancer around `action`: a steady `steadyMs` first, then `action` (the phase
 * "during"), and `afterMs` more, so that requests in flight as it ended are counted too.
 * @returns both phases, what `action` returned and how long it took
 */
export async function trafficAround<T>(
  options: Omit<TrafficOptions, 'phase' | 'signal'> & { readonly steadyMs: number; readonly afterMs: number },
  action: () => Promise<T>,
): Promise<{ steady: PhaseTraffic; during: PhaseTraffic; result: T; actionMs: number }> {
  const steady = newPhase();
  const during = newPhase();
  let current = steady;
  const stop = new AbortController();
  const running = runTraffic({ ...options, phase: () => current, signal: stop.signal });
  try {
    await sleep(options.steadyMs);
    current = during;
    const started = performance.now();
    const result = await action();
    const actionMs = performance.now() - started;
    await sleep(options.afterMs);
    return { steady, during, result, actionMs };
  } finally {
    stop.abort();
    await running;
  }
}
