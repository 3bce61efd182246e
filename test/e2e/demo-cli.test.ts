/**
 * `acme-ha local demo` as a user runs it: the real CLI in a child process. The JSON it prints is
 * checked against TLS handshakes the test makes itself, and Ctrl-C must leave no process and no port.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { opensslHandshake } from '../support/openssl.ts';
import { childProcesses, listeningSockets, processExists } from '../support/process-table.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'acme-ha.js');

interface DemoJson {
  ok: boolean;
  certificate: { serial: string; sans: string[]; notAfter: string; issuer: string; revision: number };
  nodes: { id: string; kind: string; tlsPort: number; servedSerial: string; convergedMs: number | null }[];
  dmz: {
    id: string;
    kind: string;
    tlsPort: number;
    tlsPorts: Record<string, number>;
    servedSerial: string;
  }[];
  certificates: { id: string; serial: string; sans: string[]; publicEndpoint: string; servedBy: string[] }[];
  validation: { requestsByNode: Record<string, number>; requestsAtDmz: Record<string, number> };
  renewal: { convergenceMs: number };
  failure: { node: string; result: string; haltedNodes: string[] };
  zeroDowntime: {
    balancerPort: number;
    nodes: { id: string; kind: string; tlsPort: number }[];
    withDrain: Rollout;
    withoutDrain: Rollout;
  } | null;
  caFile: string;
}

interface Rollout {
  drain: boolean;
  revision: number;
  steady: { requests: number; failed: number };
  during: { requests: number; failed: number; failures: Record<string, number> };
}

function startDemo(args: string[]): {
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  exited: Promise<number>;
} {
  const child = spawn(process.execPath, [BIN, 'local', 'demo', ...args], { env: process.env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  );
  return { child, stderr: () => stderr, exited };
}

/** Every process below `pid`, children of children included. */
async function descendants(pid: number): Promise<number[]> {
  const direct = await childProcesses(pid);
  return [...direct, ...(await Promise.all(direct.map(descendants))).flat()];
}

/** Processes still alive after `ms` (children exit a moment after their parent). */
async function survivors(pids: readonly number[], ms = 5_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const alive = pids.filter(processExists);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function ports(): Promise<Set<number>> {
  return new Set((await listeningSockets()).map((s) => s.port));
}

describe('acme-ha local demo', () => {
  // A whole demo takes ~25 s on an idle 2-core machine; the bound leaves room for a busy one.
  it('prints a JSON summary that independent TLS handshakes confirm, and Ctrl-C stops everything', {
    timeout: 180_000,
  }, async () => {
    const demo = startDemo(['--json', '--nodes', '3', '--dmz', '1', '--keep']);
    const lines = createInterface({ input: demo.child.stdout });
    const [line] = await Promise.race([
      (async () => {
        for await (const l of lines) return [l];
        return [];
      })(),
      demo.exited.then((code) => {
        throw new Error(`demo exited ${code} before its summary:\n${demo.stderr()}`);
      }),
    ]);
    const summary = JSON.parse(line ?? '') as DemoJson;
    expect(summary.ok).toBe(true);
    expect(summary.certificate.sans).toEqual([
      'app.demo.acme-ha.test',
      'www.demo.acme-ha.test',
      'api.demo.acme-ha.test',
    ]);
    expect(summary.nodes.map((n) => n.kind)).toEqual(['java', 'nginx', 'haproxy']);
    expect(summary.failure).toMatchObject({
      node: 'node-1',
      result: 'rolled-back',
      haltedNodes: ['node-2', 'node-3'],
    });
    expect(summary.dmz.map((d) => d.id)).toEqual(['dmz-1']);
    for (const node of [...summary.nodes, ...summary.dmz]) {
      const handshake = await opensslHandshake({
        port: node.tlsPort,
        servername: 'www.demo.acme-ha.test',
        caFile: summary.caFile,
      });
      expect(handshake.verifyLine, node.id).toBe('Verify return code: 0 (ok)');
      const serial = handshake.served[0]?.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '');
      expect(serial, node.id).toBe(summary.certificate.serial);
      expect(node.servedSerial).toBe(summary.certificate.serial);
    }
    // The DMZ instance's own certificate: its names resolved to the DMZ instance, so Pebble's
    // validation requests arrived at its port-80 responder (one per name and validation attempt).
    expect(summary.validation.requestsAtDmz['dmz-1']).toBeGreaterThanOrEqual(1);
    expect(summary.certificates.map((c) => [c.id, c.publicEndpoint, c.servedBy])).toEqual([
      ['demo', 'internal', ['node-1', 'node-2', 'node-3', 'dmz-1']],
      ['dmz-site', 'dmz', ['dmz-1']],
    ]);
    const site = summary.certificates[1];
    const sitePort = summary.dmz[0]?.tlsPorts['dmz-site'];
    if (!site || !sitePort) throw new Error('no dmz-site certificate in the summary');
    const atDmz = await opensslHandshake({
      port: sitePort,
      servername: 'dmz.demo.acme-ha.test',
      caFile: summary.caFile,
    });
    expect(atDmz.verifyLine).toBe('Verify return code: 0 (ok)');
    expect(atDmz.served[0]?.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '')).toBe(site.serial);
    // No internal node serves it, whatever name it is asked for.
    for (const node of summary.nodes) {
      const handshake = await opensslHandshake({
        port: node.tlsPort,
        servername: 'dmz.demo.acme-ha.test',
        caFile: summary.caFile,
      });
      expect(handshake.served[0]?.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''), node.id).not.toBe(
        site.serial,
      );
    }
    // Zero downtime: clients went through a real HAProxy during both rollouts; none failed with the
    // restarting Java node drained, some did without (the control). The balancer still passes TLS
    // through to nodes that serve a chain Pebble's root verifies.
    const zero = summary.zeroDowntime;
    if (!zero) throw new Error('no zero-downtime step in the summary');
    expect(zero.nodes.map((n) => n.kind)).toEqual(['java', 'nginx', 'haproxy']);
    expect(zero.withDrain.during.requests).toBeGreaterThan(100);
    expect(zero.withDrain.during.failures).toEqual({});
    expect(zero.withDrain.steady.failed).toBe(0);
    expect(zero.withoutDrain.during.failed).toBeGreaterThan(0);
    expect(zero.withoutDrain.revision).toBe(zero.withDrain.revision + 1);
    const throughBalancer = await opensslHandshake({
      port: zero.balancerPort,
      servername: 'shop.demo.acme-ha.test',
      caFile: summary.caFile,
    });
    expect(throughBalancer.verifyLine).toBe('Verify return code: 0 (ok)');
    expect(throughBalancer.served[0]?.subjectAltName).toBe('DNS:shop.demo.acme-ha.test');
    const pids = await descendants(demo.child.pid ?? 0);
    expect(pids.length).toBeGreaterThanOrEqual(4); // Pebble, Java, nginx, HAProxy at least
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(await survivors(pids)).toEqual([]);
    const open = await ports();
    const ours = [...summary.nodes, ...zero.nodes].map((n) => n.tlsPort).concat(zero.balancerPort);
    expect(ours.filter((p) => open.has(p))).toEqual([]);
  });

  it('runs again right after, and Ctrl-C in the middle of a step leaves no process behind', {
    timeout: 180_000,
  }, async () => {
    const demo = startDemo(['--nodes', '2', '--dmz', '0']);
    let pids: number[] = [];
    await new Promise<void>((resolve, reject) => {
      demo.child.stdout.on('data', async (d: Buffer) => {
        // Interrupt in the middle of the rolling renewal, once every server runs.
        if (d.toString().includes('renew (forced)')) {
          pids = await descendants(demo.child.pid ?? 0);
          demo.child.kill('SIGINT');
          resolve();
        }
      });
      demo.exited.then(() => reject(new Error(`demo ended before step 4:\n${demo.stderr()}`)));
    });
    expect(await demo.exited).toBe(1);
    expect(demo.stderr()).toMatch(/interrupted; everything was stopped/);
    expect(pids.length).toBeGreaterThan(0);
    expect(await survivors(pids)).toEqual([]);
  });
});
