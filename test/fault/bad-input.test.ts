/**
 * Bad input, fuzzed with fast-check (fixed seeds, bounded runs): each case gets a clear error of our
 * own hierarchy, nothing is written, and the service still answers.
 *
 * - SQS/SNS bodies: malformed, oversized, forged envelopes and events (unknown certificates,
 *   unknown revisions) → parseEventMessage never throws; handleMessage never writes a file.
 * - Keystores truncated, tampered, with a wrong password → openKeystore throws AcmeHaError only.
 * - Config files (certificates and agent) with random mutations, path traversal in ids → ConfigError only.
 * - HTTP-01 requests with odd paths, huge or non-ASCII tokens, other methods → the real
 *   local/challenge-responder.ts never answers 500, never crashes, and answers a good token after.
 *
 * CI: seeds 1001–1006, 150–400 runs each. FAULT_LONG=1: ten times the runs.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type ChallengeResponder, startChallengeResponder } from '../../adapters/http/challenge-responder.ts';
import { InMemoryFileSink } from '../../adapters/memory/in-memory-file-sink.ts';
import { InMemoryInstalledRevisions } from '../../adapters/memory/in-memory-installed-revisions.ts';
import { InMemoryKeystoreStore } from '../../adapters/memory/in-memory-keystore-store.ts';
import { InMemoryLock } from '../../adapters/memory/in-memory-lock.ts';
import { InMemoryNodeStatusStore } from '../../adapters/memory/in-memory-node-status-store.ts';
import { InMemoryRolloutStore } from '../../adapters/memory/in-memory-rollout-store.ts';
import { InMemoryStateStore } from '../../adapters/memory/in-memory-state-store.ts';
import { handleMessage } from '../../core/agent/agent-loop.ts';
import { parseEventMessage } from '../../core/agent/event-message.ts';
import type { AgentDeps } from '../../core/agent/sync/agent-deps.ts';
import type { CertificatePlan } from '../../core/agent/sync/plan.ts';
import { syncCertificate } from '../../core/agent/sync/sync-certificate.ts';
import { agentConfigSchema } from '../../core/config/agent-config.ts';
import { ConfigError, parseConfig, parseYamlConfig } from '../../core/config/parse-config.ts';
import { AcmeHaError } from '../../core/errors.ts';
import { buildKeystore, openKeystore } from '../../core/keystore/keystore.ts';
import type { EventIntake, IntakeMessage } from '../../core/ports/event-intake.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { FakeProber, FakeTlsServer } from '../fakes/fake-tls-server.ts';
import { aServerPki, jksOf } from '../support/agent-keystores.ts';
import { publishRevision } from '../support/agent-revisions.ts';
import { faultLong } from '../support/fault-random.ts';
import type { TestPki } from '../support/pki.ts';

const SCALE = faultLong() ? 10 : 1;
const PASSWORD = 'changeit';

/** fast-check settings: a fixed seed per property, bounded runs, failures replayable. */
function params(seed: number, numRuns: number): fc.Parameters<unknown> {
  return { seed, numRuns: numRuns * SCALE, endOnFailure: true };
}

function expectOwnError(error: unknown, where: string): void {
  if (!(error instanceof AcmeHaError))
    throw new Error(
      `${where}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      {
        cause: error,
      },
    );
}

// ---------------------------------------------------------------------------------------------
describe('queue messages', () => {
  const forgedEvent = fc.record(
    {
      type: fc.constantFrom('certificate.revision_published', 'certificate.renewal_failed', 'x', ''),
      certificateId: fc.oneof(
        fc.constantFrom('app', 'unknown', '../../etc/passwd', 'app/../other', '', 'APP'),
        fc.string(),
      ),
      revision: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(1, 2, 999_999_999, -1, 0), fc.string()),
      groups: fc.oneof(fc.array(fc.string()), fc.string(), fc.constant(null)),
      dmz: fc.array(fc.string()),
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.json(),
    forgedEvent.map((e) => JSON.stringify(e)),
    forgedEvent.map((e) => JSON.stringify({ Type: 'Notification', Message: JSON.stringify(e) })),
    fc.string().map((m) => JSON.stringify({ Type: 'Notification', Message: m })),
    fc.constant(`{"Type":"Notification","Message":${JSON.stringify('x'.repeat(300_000))}}`),
    fc.constant('['.repeat(10_000)),
  );

  it('parseEventMessage reads any body without throwing (seed 1001)', () => {
    fc.assert(
      fc.property(body, (text) => {
        const parsed = parseEventMessage(text);
        if (parsed.event) {
          expect(parsed.event.certificateId.length).toBeGreaterThan(0);
          if (parsed.event.type === 'certificate.revision_published')
            expect(Number.isInteger(parsed.event.revision) && parsed.event.revision >= 1).toBe(true);
        } else expect(parsed.problem).toMatch(/\S/);
      }),
      params(1001, 400),
    );
  });

  it('forged or unknown events make a node write nothing (seed 1002)', async () => {
    const pki = await aServerPki();
    const fleet = {
      state: new InMemoryStateStore(),
      keystores: new InMemoryKeystoreStore(),
      lock: new InMemoryLock({ now: () => new Date() }),
      rollouts: new InMemoryRolloutStore(),
      status: new InMemoryNodeStatusStore(),
    };
    await publishRevision(fleet, 'app', pki);
    const files = new InMemoryFileSink();
    const server = new FakeTlsServer(1001, files, '/srv/app.jks', PASSWORD);
    const deps: AgentDeps & { intake: EventIntake } = {
      nodeId: 'n1',
      ...fleet,
      files,
      installed: new InMemoryInstalledRevisions(),
      prober: new FakeProber([server]),
      clock: { now: () => new Date() },
      log: silentLogger,
      sleep: async () => undefined,
      random: () => 0.5,
      rollout: { maxParallel: 1, slotTtlMs: 60_000, canaryTimeoutMs: 50, probeTimeoutMs: 50, pollMs: 1 },
      intake: { receive: async () => [], acknowledge: async () => undefined, release: async () => undefined },
    };
    const plan: CertificatePlan = {
      certificateId: 'app',
      targets: [
        {
          selection: { format: 'jks', pemFiles: [], password: PASSWORD, alias: 'server', names: [] },
          path: '/srv/app.jks',
          mode: 0o600,
          reloader: server,
          drain: null,
          probes: [{ host: '127.0.0.1', port: 1001, servername: 'app.acme-ha.test' }],
        },
      ],
    };
    expect((await syncCertificate(deps, plan)).result).toBe('applied');
    const writes = files.writes.length;
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const parsed = parseEventMessage(text);
        const message: IntakeMessage = {
          id: 'm',
          receiveCount: 1,
          event: parsed.event,
          problem: parsed.problem,
        };
        const verdict = await handleMessage(
          deps,
          { plans: [plan], reconcileIntervalMs: 1, maxReceiveCount: 5 },
          message,
        );
        expect(['acknowledged', 'released']).toContain(verdict);
        // Revisions come from the state store, never from the message: nothing new to write.
        expect(files.writes.length).toBe(writes);
      }),
      params(1002, 150),
    );
  });
});

// ---------------------------------------------------------------------------------------------
describe('keystores', () => {
  let pki: TestPki;
  let jks: Buffer;
  let p12: Buffer;
  let pem: Buffer;
  beforeAll(async () => {
    pki = await aServerPki({ keyType: 'rsa-2048' });
    jks = jksOf(pki, PASSWORD);
    const out = buildKeystore(
      { privateKey: pki.leafKey, chain: pki.chain },
      { format: 'pkcs12', alias: 'server', password: PASSWORD, created: new Date() },
    );
    if (out.kind !== 'file') throw new Error('expected one file');
    p12 = out.bytes;
    const bundle = buildKeystore(
      { privateKey: pki.leafKey, chain: pki.chain },
      { format: 'pem', alias: 'x', created: new Date() },
    );
    if (bundle.kind !== 'directory') throw new Error('expected files');
    pem = bundle.files.get('combined.pem') ?? Buffer.alloc(0);
  });

  const damage = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.record({
      kind: fc.constant('flip' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      bits: fc.integer({ min: 1, max: 255 }),
    }),
    fc.record({ kind: fc.constant('password' as const), password: fc.string({ maxLength: 40 }) }),
    fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 4096 }) }),
  );

  it('openKeystore fails only with AcmeHaError on truncated, tampered or wrongly unlocked keystores (seed 1003)', () => {
    const outcomes = { opened: 0, refused: 0 };
    fc.assert(
      fc.property(fc.constantFrom('jks', 'pkcs12', 'pem'), damage, (format, d) => {
        const original = format === 'jks' ? jks : format === 'pkcs12' ? p12 : pem;
        let bytes = Buffer.from(original);
        let password: string | undefined = format === 'pem' ? undefined : PASSWORD;
        if (d.kind === 'truncate') bytes = bytes.subarray(0, Math.floor(d.at * bytes.length));
        if (d.kind === 'flip') {
          const i = Math.min(bytes.length - 1, Math.floor(d.at * bytes.length));
          bytes[i] = (bytes[i] ?? 0) ^ d.bits;
        }
        if (d.kind === 'password') password = d.password === PASSWORD ? `${d.password}!` : d.password;
        if (d.kind === 'garbage') bytes = Buffer.from(d.bytes);
        try {
          const opened = openKeystore(bytes, password, 'fuzzed');
          outcomes.opened++;
          // What opens must still be the right key: a flip in PEM whitespace or an unused field.
          if (opened.privateKey)
            expect(opened.privateKey.export({ format: 'der', type: 'pkcs8' })).toEqual(
              pki.leafKey.export({ format: 'der', type: 'pkcs8' }),
            );
        } catch (error) {
          outcomes.refused++;
          expectOwnError(error, `${format} ${JSON.stringify(d).slice(0, 120)}`);
        }
      }),
      params(1003, 400),
    );
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('configuration files', () => {
  const certificates = {
    version: 1,
    defaults: { directory: 'https://acme.example/directory' },
    certificates: [
      {
        id: 'app',
        domains: ['app.example.com', 'www.example.com'],
        groups: ['web'],
        keystores: [{ format: 'jks', alias: 'server', password: { env: 'APP_PW' } }, { format: 'pem' }],
      },
    ],
    nodes: [{ id: 'web1', groups: ['web'] }],
  };
  const agent = {
    version: 1,
    node: { id: 'web1', groups: ['web'] },
    aws: { region: 'eu-west-1', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/acme-ha-node-web1' },
    targets: [
      {
        certificateId: 'app',
        format: 'jks',
        path: '/etc/app/server.jks',
        password: { env: 'APP_PW' },
        mode: '0640',
        reload: { command: ['systemctl', 'reload', 'app'] },
        probe: [{ port: 8443 }],
      },
    ],
  };

  type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
  const oddValue: fc.Arbitrary<Json> = fc.oneof(
    fc.constantFrom('../../etc/passwd', '/etc/../root/.ssh/id', 'a\u0000b', '', ' ', '*', 'ÄÖÜ', '\u202e'),
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant<Json>([]),
    fc.constant<Json>({}),
  );

  /** Sets a random existing path (found by walking with `picks`) to `value`, or deletes it. */
  function mutate(doc: Json, picks: readonly number[], value: Json | undefined): Json {
    const copy = structuredClone(doc);
    let node: Json = copy;
    for (let depth = 0; depth < picks.length; depth++) {
      if (node === null || typeof node !== 'object') break;
      const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
      if (keys.length === 0) break;
      const key = keys[(picks[depth] ?? 0) % keys.length] as string | number;
      const child: Json | undefined = Array.isArray(node) ? node[key as number] : node[key as string];
      const last = depth === picks.length - 1 || child === null || typeof child !== 'object';
      if (last) {
        if (Array.isArray(node)) {
          if (value === undefined) node.splice(key as number, 1);
          else node[key as number] = value;
        } else if (value === undefined) delete node[key as string];
        else node[key as string] = value;
        break;
      }
      if (child !== undefined) node = child;
    }
    return copy;
  }

  const structural = fc.record({
    picks: fc.array(fc.nat(20), { minLength: 1, maxLength: 6 }),
    value: fc.option(oddValue, { nil: undefined }),
  });
  const textual = fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    cut: fc.nat(30),
    insert: fc.string({
      maxLength: 12,
      unit: fc.constantFrom(
        ':',
        '-',
        ' ',
        '\n',
        '\t',
        '"',
        "'",
        '{',
        '[',
        '&',
        '*',
        '!',
        '%',
        'a',
        '0',
        '\u00e9',
        '#',
      ),
    }),
  });

  const toJson = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json;

  function runMutations(
    seed: number,
    doc: Json,
    parse: (text: string) => unknown,
  ): { accepted: number; refused: number } {
    const counts = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(fc.oneof(structural, textual), (m) => {
        let text: string;
        if ('picks' in m) text = stringify(mutate(doc, m.picks, m.value));
        else {
          const base = stringify(doc);
          const i = Math.floor(m.at * base.length);
          text = base.slice(0, i) + m.insert + base.slice(i + m.cut);
        }
        try {
          parse(text);
          counts.accepted++;
        } catch (error) {
          counts.refused++;
          if (!(error instanceof ConfigError)) expectOwnError(error, text.slice(0, 200));
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).problems.length).toBeGreaterThan(0);
        }
      }),
      params(seed, 300),
    );
    return counts;
  }

  it('the certificate configuration refuses every mutation with ConfigError only (seed 1004)', () => {
    const counts = runMutations(1004, toJson(certificates), (text) => parseConfig(text, 'fuzzed.yaml'));
    expect(counts.refused).toBeGreaterThan(counts.accepted / 4);
  });

  it('the agent configuration refuses every mutation with ConfigError only (seed 1005)', () => {
    const counts = runMutations(1005, toJson(agent), (text) =>
      parseYamlConfig(text, 'agent.yaml', agentConfigSchema),
    );
    expect(counts.refused).toBeGreaterThan(counts.accepted / 4);
  });

  it('refuses path traversal in ids; paths must be absolute', () => {
    for (const id of ['../app', 'app/..', 'a/b', '..', '.hidden', 'APP', 'a\u0000']) {
      expect(() =>
        parseConfig(
          JSON.stringify({ ...certificates, certificates: [{ ...certificates.certificates[0], id }] }),
          'x',
        ),
      ).toThrow(ConfigError);
      expect(() =>
        parseYamlConfig(
          JSON.stringify({ ...agent, targets: [{ ...agent.targets[0], certificateId: id }] }),
          'x',
          agentConfigSchema,
        ),
      ).toThrow(ConfigError);
      expect(() =>
        parseYamlConfig(JSON.stringify({ ...agent, node: { id, groups: [] } }), 'x', agentConfigSchema),
      ).toThrow(ConfigError);
    }
    for (const path of ['relative/server.jks', '../server.jks', '', 'C:\\x']) {
      expect(() =>
        parseYamlConfig(
          JSON.stringify({ ...agent, targets: [{ ...agent.targets[0], path }] }),
          'x',
          agentConfigSchema,
        ),
      ).toThrow(ConfigError);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('HTTP-01 responder', () => {
  const TOKEN = 'goodToken_0123456789-abcdefghij';
  let responder: ChallengeResponder;
  let storeReads = 0;
  beforeAll(async () => {
    responder = await startChallengeResponder({
      store: {
        pending: async () => {
          storeReads++;
          return [
            { token: TOKEN, keyAuthorization: `${TOKEN}.thumbprint`, validUntil: Date.now() + 3_600_000 },
          ];
        },
      },
    });
  });
  afterAll(async () => {
    await responder?.stop();
  });

  /** One raw request (no client-side validation), the status line's code or 'closed'. */
  function raw(request: Buffer | string): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(responder.port, '127.0.0.1');
      let answer = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve('timeout');
      }, 5000);
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 'closed');
      });
      socket.end(request);
    });
  }

  const method = fc.oneof(
    fc.constantFrom(
      'GET',
      'HEAD',
      'POST',
      'PUT',
      'DELETE',
      'OPTIONS',
      'TRACE',
      'CONNECT',
      'PATCH',
      'PROPFIND',
      'get',
    ),
    fc.string({ minLength: 1, maxLength: 10, unit: fc.constantFrom('A', 'Z', 'x', '-', '\u00e9', ' ') }),
  );
  const tokenPart = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ maxLength: 60, unit: 'grapheme' }),
    fc.constantFrom(
      '..',
      '../../etc/passwd',
      '%2e%2e%2f',
      '%00',
      TOKEN,
      `${TOKEN}/x`,
      `${TOKEN}%00`,
      '\u00e9t\u00e9',
    ),
    fc.nat(200_000).map((n) => 'A'.repeat(n)),
  );
  const path = fc.oneof(
    tokenPart.map((t) => `/.well-known/acme-challenge/${t}`),
    tokenPart.map((t) => `/${t}`),
    tokenPart,
    fc.constant('*'),
    fc.constant('http://evil.example/.well-known/acme-challenge/x'),
  );

  it('never answers 500, never dies, and answers a good token after each odd request (seed 1006)', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(method, path, fc.boolean(), async (m, p, utf8) => {
        const line = `${m} ${p} HTTP/1.1\r\nHost: x.acme-ha.test:80\r\nConnection: close\r\n\r\n`;
        const status = await raw(utf8 ? Buffer.from(line, 'utf8') : Buffer.from(line, 'latin1'));
        seen.set(status, (seen.get(status) ?? 0) + 1);
        expect(status).not.toBe('500');
        expect(status).not.toBe('timeout');
        const good = await raw(
          `GET /.well-known/acme-challenge/${TOKEN} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        expect(good).toBe('200');
      }),
      params(1006, 200),
    );
    console.log(
      `[fault] responder fuzz statuses ${JSON.stringify(Object.fromEntries(seen))}, store reads ${storeReads}`,
    );
  }, 120_000);
});
