/**
 * One ACME order (account already registered, HTTP-01) against one local Pebble, for 1 and 5 names:
 * acme-ha's renewer issuer in process and the whole `acme-ha renew` CLI process, beside lego and
 * certbot (Debian packages) doing the same order. Issue 4 wants acme-ha within 1.2× lego's time.
 *
 * Pebble sends every HTTP-01 request to one port; each tool must answer on it with its own listener,
 * so the runs take turns: our responder (adapters/http/challenge-responder.ts over the stack's DynamoDB) listens there
 * only during acme-ha's runs and is closed while lego or certbot bind the port.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AcmeClientIssuer } from '../adapters/acme/acme-client-issuer.ts';
import { createAwsClients } from '../adapters/aws/aws-clients.ts';
import { DynamoChallengeStore } from '../adapters/aws/dynamo-challenge-store.ts';
import { startChallengeResponder } from '../adapters/http/challenge-responder.ts';
import { InMemoryAccountStore } from '../adapters/memory/in-memory-account-store.ts';
import { systemClock } from '../core/ports/clock.ts';
import { silentLogger } from '../core/ports/logger.ts';
import { freeTcpPort } from '../local/net.ts';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import { fmt, type Stats, stats, timeCommand } from './measure.ts';
import type { BenchSuite } from './suite.ts';
import { CERTBOT, failureText, LEGO, packageVersion, tryEnsure } from './support/tools.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'acme-ha.js');
const EMAIL = 'bench@example.com';
const NAME_COUNTS = [1, 5] as const;
/** What the renewer polls with unless ACME_HA_POLL_MS says otherwise (functions/commons/compose-control-plane.ts). */
const RENEWER_POLL_MS = 1000;
/** One order against a local CA takes seconds; anything beyond this is a hang. */
const COMMAND_TIMEOUT_MS = 60_000;
const TARGET_RATIO = 1.2;
/**
 * With --quick, a case whose first measured run takes longer than this gets no further runs: lego
 * sleeps ~5 s per name (see the verdict), so 3 of its 5-name orders would take ~60–85 s of the
 * 3-minute smoke budget on their own.
 */
const QUICK_SLOW_RUN_MS = 10_000;

type CaseId = 'in-process' | 'in-process-fast-poll' | 'cli' | 'lego' | 'certbot';

interface Case {
  readonly id: CaseId;
  readonly label: string;
  /** Why the case cannot run at all (tool missing), instead of measuring it. */
  readonly unavailable?: string;
  /** Whether our HTTP-01 responder must listen on Pebble's port during the run. */
  readonly ourResponder: boolean;
  /** One measured (or, for i < 0, unmeasured registering) order of `names` names. */
  order(names: readonly string[], i: number): Promise<{ ms: number; peakRssKiB?: number }>;
}

interface Outcome {
  readonly ms: number[];
  readonly rssMiB: number[];
  error?: string;
}

function domains(count: number, tag: string): string[] {
  return Array.from({ length: count }, (_, i) => `${tag}-${i + 1}.bench.acme-ha.test`);
}

/** One line fit for a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replaceAll('|', '\\|').trim().slice(0, 240);
}

export const acmeOrder: BenchSuite = {
  id: 'acme-order',
  title: 'ACME order against the same local Pebble (account exists, HTTP-01)',
  target: 'one order within 1.2× the time lego needs for the same order on the same Pebble (issue 4)',
  async run({ quick }) {
    const runs = quick ? 3 : 5;
    const legoMissing = await tryEnsure(LEGO);
    const certbotMissing = await tryEnsure(CERTBOT);
    const versions = { lego: await packageVersion('lego'), certbot: await packageVersion('certbot') };
    const httpPort = await freeTcpPort();
    // No responder of the stack's own: Pebble validates against whoever listens on httpPort.
    const stack = await startLocalStack({
      prefix: 'bench-order',
      pebble: { httpPort },
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1' },
    });
    let dir: string;
    try {
      dir = await mkdtemp(join(tmpdir(), 'acme-ha-bench-order-'));
    } catch (error) {
      await stack.stop();
      throw error;
    }
    const clients = createAwsClients(stack.clientConfigs);
    const store = new DynamoChallengeStore(clients.documents, stack.resources.tableName, systemClock);
    try {
      const cases = await makeCases(stack, dir, store, { legoMissing, certbotMissing });
      const outcomes = new Map<string, Outcome>();
      const key = (id: CaseId, count: number) => `${id}/${count}`;
      for (const c of cases) for (const n of NAME_COUNTS) outcomes.set(key(c.id, n), { ms: [], rssMiB: [] });

      const once = async (c: Case, names: readonly string[], i: number) => {
        // Never two listeners at once: Pebble must reach exactly this tool's.
        const responder = c.ourResponder ? await startChallengeResponder({ store, port: httpPort }) : null;
        try {
          return await c.order(names, i);
        } finally {
          await responder?.stop();
        }
      };

      // Registration (and warm-up) runs, unmeasured: every case starts with an existing account.
      const registered = new Map<CaseId, string>();
      for (const c of cases) {
        if (c.unavailable) continue;
        try {
          await once(c, domains(1, `register-${c.id}`), -1);
        } catch (error) {
          registered.set(c.id, `registration run failed: ${failureText(error)}`);
        }
      }
      // Round robin, so that a load change on the shared machine hits every tool alike.
      for (let i = 0; i < runs; i++) {
        for (const n of NAME_COUNTS) {
          for (const c of cases) {
            const outcome = outcomes.get(key(c.id, n));
            if (!outcome || c.unavailable || registered.has(c.id) || outcome.error) continue;
            if (quick && (outcome.ms[0] ?? 0) > QUICK_SLOW_RUN_MS) continue;
            try {
              const r = await once(c, domains(n, `n${n}`), i);
              outcome.ms.push(r.ms);
              if (r.peakRssKiB !== undefined) outcome.rssMiB.push(r.peakRssKiB / 1024);
            } catch (error) {
              outcome.error = `run ${i + 1} failed: ${failureText(error)}`;
            }
          }
        }
      }

      // The CLI's start-up floor: Node and tsx with no command work at all.
      const floorMs: number[] = [];
      const floorRss: number[] = [];
      let floorError: string | undefined;
      try {
        for (let i = 0; i < runs; i++) {
          const r = await timeCommand(
            process.execPath,
            [BIN, '--version'],
            {},
            { timeoutMs: COMMAND_TIMEOUT_MS },
          );
          floorMs.push(r.ms);
          floorRss.push(r.peakRssKiB / 1024);
        }
      } catch (error) {
        floorError = failureText(error);
      }
      const floor = floorMs.length ? stats(floorMs) : undefined;

      const results: Record<string, { time?: Stats; rss?: Stats; error?: string }> = {};
      const rows: string[][] = [];
      for (const n of NAME_COUNTS) {
        for (const c of cases) {
          const outcome = outcomes.get(key(c.id, n));
          const problem = c.unavailable ?? registered.get(c.id) ?? outcome?.error;
          const time = outcome?.ms.length ? stats(outcome.ms) : undefined;
          const rss = outcome?.rssMiB.length ? stats(outcome.rssMiB) : undefined;
          results[key(c.id, n)] = {
            ...(time ? { time } : {}),
            ...(rss ? { rss } : {}),
            ...(problem ? { error: problem } : {}),
          };
          const label = `${n} name${n > 1 ? 's' : ''}: ${c.label}`;
          if (c.unavailable) rows.push([label, 'not run', '', cell(`unavailable: ${c.unavailable}`)]);
          else if (problem && !time) rows.push([label, 'failed', '', cell(problem)]);
          else
            rows.push([
              label,
              time ? fmt(time, 'ms', 0) : '',
              rss ? fmt(rss, 'MiB', 0) : '(in process)',
              cell(problem ?? ''),
            ]);
        }
      }
      rows.push(
        floor
          ? [
              'either: `acme-ha --version` (CLI start-up floor: Node + tsx, no work)',
              fmt(floor, 'ms', 0),
              fmt(stats(floorRss), 'MiB', 0),
              cell(floorError ?? ''),
            ]
          : ['either: `acme-ha --version`', 'failed', '', cell(floorError ?? '')],
      );
      return {
        columns: ['case', 'wall time, median (min–max)', 'peak RSS', 'note'],
        rows,
        verdict: verdict(results, key, floor, { legoMissing, certbotMissing }),
        method:
          `${runs} measured orders per case and name count${quick ? ` (with --quick, a case whose first run takes over ${QUICK_SLOW_RUN_MS / 1000} s gets no more, see n)` : ''} after one unmeasured order per tool that registers its account ` +
          `(so every measured order runs on an existing account); the tools take turns run by run (round robin), one at a time, ` +
          `and only the tool under test listens on Pebble's HTTP-01 port. Pebble 2.4 with PEBBLE_VA_NOSLEEP=1, ` +
          `PEBBLE_AUTHZREUSE=0 (every order validates every name anew) and its default 5 % nonce rejection. ` +
          `ECDSA P-256 certificate keys everywhere. In process: an AcmeClientIssuer (the renewer's adapter) on an in-memory account store, ` +
          `tokens in the stack's DynamoDB served by respondToChallenge on Pebble's port; poll interval ${RENEWER_POLL_MS} ms ` +
          `(the renewer's default) and, for comparison, 100 ms. CLI: \`node bin/acme-ha.js renew --force --certificate ID --config F --json\` with the stack's environment ` +
          `(also builds a PEM keystore, stores it in S3 and publishes to SNS); lego ${versions.lego} \`run\` with its own HTTP-01 server; ` +
          `certbot ${versions.certbot} \`certonly --standalone\` with a new --cert-name per run. Processes timed with /usr/bin/time (peak RSS of the process itself; ` +
          `for the CLI the responder and the stack run in the bench process and are not counted).`,
        raw: {
          runs,
          httpPort,
          versions,
          results,
          startupFloor: floor ?? null,
          startupFloorError: floorError ?? null,
        },
      };
    } finally {
      clients.destroy();
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

async function makeCases(
  stack: LocalStack,
  dir: string,
  store: DynamoChallengeStore,
  missing: { legoMissing: string | undefined; certbotMissing: string | undefined },
): Promise<Case[]> {
  const pebble = stack.pebble;
  if (!pebble) throw new Error('the stack runs without Pebble');
  const accounts = new InMemoryAccountStore();
  const issuer = (pollIntervalMs: number) =>
    new AcmeClientIssuer({
      challenges: store,
      accounts,
      log: silentLogger,
      email: EMAIL,
      extraCaPem: pebble.caPem,
      pollIntervalMs,
    });
  const inProcess = (pollIntervalMs: number) => {
    const it = issuer(pollIntervalMs);
    return async (names: readonly string[]) => {
      const [first, ...rest] = names;
      if (first === undefined) throw new Error('no names');
      const started = performance.now();
      const issued = await it.issue({
        certificateId: 'bench',
        directory: pebble.directoryUrl,
        domains: [first, ...rest],
        keyType: 'ec-p256',
      });
      const ms = performance.now() - started;
      if (!issued.chainPem.includes('BEGIN CERTIFICATE')) throw new Error('no certificate in the answer');
      return { ms };
    };
  };

  // The CLI: one config with a certificate per name count, ids by the names they hold.
  const config = join(dir, 'acme-ha.yaml');
  const ids = new Map<string, string>();
  const certificateIds = [domains(1, 'register-cli'), ...NAME_COUNTS.map((n) => domains(n, `n${n}`))];
  const yaml = certificateIds.map((names, i) => {
    const id = `bench-${i}`;
    ids.set(names.join(','), id);
    return `  - id: ${id}\n    domains: [${names.join(', ')}]\n    keystores: [{ format: pem }]\n`;
  });
  await writeFile(config, `version: 1\naccount: { email: ${EMAIL} }\ncertificates:\n${yaml.join('')}`);

  const legoPath = join(dir, 'lego');
  const certbotDir = join(dir, 'certbot');
  return [
    {
      id: 'in-process',
      label: `acme-ha issuer in process (poll ${RENEWER_POLL_MS} ms, the renewer default)`,
      ourResponder: true,
      order: inProcess(RENEWER_POLL_MS),
    },
    {
      id: 'in-process-fast-poll',
      label: 'acme-ha issuer in process (poll 100 ms)',
      ourResponder: true,
      order: inProcess(100),
    },
    {
      id: 'cli',
      label: '`acme-ha renew --force` (whole CLI process)',
      ourResponder: true,
      async order(names) {
        const id = ids.get(names.join(','));
        if (!id) throw new Error(`no certificate for ${names.join(',')}`);
        const r = await timeCommand(
          process.execPath,
          [BIN, 'renew', '--force', '--certificate', id, '--config', config, '--json'],
          stack.env,
          { timeoutMs: COMMAND_TIMEOUT_MS },
        );
        const result = JSON.parse(r.stdout) as { outcomes?: { result?: string }[] };
        const outcome = result.outcomes?.[0]?.result;
        if (outcome !== 'renewed')
          throw new Error(`renew reported ${outcome ?? 'nothing'}: ${r.stdout.trim()}`);
        return r;
      },
    },
    {
      id: 'lego',
      label: 'lego run (own HTTP-01 server)',
      ...(missing.legoMissing ? { unavailable: missing.legoMissing } : {}),
      ourResponder: false,
      async order(names) {
        const r = await timeCommand(
          LEGO.command,
          [
            '--server',
            pebble.directoryUrl,
            '--accept-tos',
            '--email',
            EMAIL,
            '--key-type',
            'ec256',
            '--http',
            '--http.port',
            `127.0.0.1:${pebble.httpPort}`,
            '--path',
            legoPath,
            ...names.flatMap((n) => ['--domains', n]),
            'run',
          ],
          { LEGO_CA_CERTIFICATES: pebble.caFile },
          { timeoutMs: COMMAND_TIMEOUT_MS },
        );
        const crt = join(legoPath, 'certificates', `${names[0] ?? ''}.crt`);
        if (!(await readFile(crt, 'utf8')).includes('BEGIN CERTIFICATE'))
          throw new Error(`no certificate in ${crt}`);
        return r;
      },
    },
    {
      id: 'certbot',
      label: 'certbot certonly --standalone',
      ...(missing.certbotMissing ? { unavailable: missing.certbotMissing } : {}),
      ourResponder: false,
      async order(names, i) {
        const certName = `bench-${names.length}-${i < 0 ? 'register' : i}`;
        const r = await timeCommand(
          CERTBOT.command,
          [
            'certonly',
            '--standalone',
            '--http-01-address',
            '127.0.0.1',
            '--http-01-port',
            String(pebble.httpPort),
            '--server',
            pebble.directoryUrl,
            '--agree-tos',
            '-m',
            EMAIL,
            '--no-eff-email',
            '--non-interactive',
            '--key-type',
            'ecdsa',
            '--elliptic-curve',
            'secp256r1',
            '--config-dir',
            join(certbotDir, 'config'),
            '--work-dir',
            join(certbotDir, 'work'),
            '--logs-dir',
            join(certbotDir, 'logs'),
            '--cert-name',
            certName,
            ...names.flatMap((n) => ['-d', n]),
          ],
          { REQUESTS_CA_BUNDLE: pebble.caFile },
          { timeoutMs: COMMAND_TIMEOUT_MS },
        );
        const chain = join(certbotDir, 'config', 'live', certName, 'fullchain.pem');
        if (!existsSync(chain)) throw new Error(`no certificate at ${chain}`);
        return r;
      },
    },
  ];
}

function verdict(
  results: Record<string, { time?: Stats; rss?: Stats; error?: string }>,
  key: (id: CaseId, count: number) => string,
  floor: Stats | undefined,
  missing: { legoMissing: string | undefined; certbotMissing: string | undefined },
): string {
  const s = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
  const median = (id: CaseId, n: number) => results[key(id, n)]?.time?.median;
  const parts: string[] = [];
  for (const n of NAME_COUNTS) {
    const lego = results[key('lego', n)]?.time;
    const ours = median('in-process', n);
    const cli = median('cli', n);
    if (!lego) {
      parts.push(
        `${n} name${n > 1 ? 's' : ''}: no lego figure to compare with (${missing.legoMissing ?? results[key('lego', n)]?.error ?? 'no runs'}), ` +
          `so the target cannot be judged; acme-ha takes ${s(ours)} in process and ${s(cli)} as a CLI process`,
      );
      continue;
    }
    const judge = (what: string, ms: number | undefined) => {
      if (ms === undefined) return `${what} no figure`;
      const ratio = ms / lego.median;
      return (
        `${what} ${s(ms)} = ${ratio.toFixed(2)}× (${ratio <= TARGET_RATIO ? 'met' : `missed by ${s(ms - TARGET_RATIO * lego.median)}`}` +
        `; ${(ms / lego.min).toFixed(1)}× lego's fastest run)`
      );
    };
    parts.push(
      `${n} name${n > 1 ? 's' : ''}, lego ${s(lego.median)} (fastest ${s(lego.min)}): ${judge('in process', ours)}, ${judge('CLI', cli)}`,
    );
  }
  const one = NAME_COUNTS[0];
  const legoOne = results[key('lego', one)]?.time;
  const fast = median('in-process-fast-poll', one);
  const ours = median('in-process', one);
  const cli = median('cli', one);
  const rss = (id: CaseId) => {
    const r = results[key(id, one)]?.rss?.median;
    return r === undefined ? 'n/a' : `${r.toFixed(0)} MiB`;
  };
  const others = (['lego', 'certbot'] as const).flatMap((tool) =>
    results[key(tool, one)]?.rss ? [`${tool}'s ${rss(tool)}`] : [],
  );
  const notes = [
    legoOne
      ? `Lego's time is mostly its own sleep, so the target says little about the work each tool does: Pebble (like Let's Encrypt's Boulder) ` +
        `sends no Retry-After on a challenge, so lego 4.9 checks each name once right away and otherwise sleeps 5 s ± 50 % before polling again, ` +
        `one name after another` +
        (ours !== undefined && legoOne.min < ours
          ? `; in its fastest 1-name run (${s(legoOne.min)}) the first check already saw the name valid, and then lego beat acme-ha's ${s(ours)}.`
          : `; its fastest 1-name run took ${s(legoOne.min)}.`)
      : undefined,
    ours !== undefined && fast !== undefined
      ? `acme-ha's own order is dominated by its poll interval: acme-client checks once, then waits ${RENEWER_POLL_MS} ms ` +
        `(the renewer default, ACME_HA_POLL_MS) while the challenge is still pending, doubling the wait each time ` +
        `(and again for the finalized order when Pebble has not issued yet); at 100 ms the same 1-name order takes ${s(fast)} instead of ${s(ours)}.`
      : undefined,
    cli !== undefined && ours !== undefined
      ? `The CLI adds ${s(cli - ours)} to the in-process order${floor ? `, of which ${s(floor.median)} is bare Node + tsx start-up (\`acme-ha --version\`)` : ''} ` +
        `and the rest module loading (AWS SDK, acme-client) and publishing (PEM keystore, S3, SNS); it peaks at ${rss('cli')} RSS` +
        `${others.length ? ` against ${others.join(' and ')}` : ''}.`
      : undefined,
    ...(['lego', 'certbot'] as const).flatMap((tool) => {
      const problem =
        (tool === 'lego' ? missing.legoMissing : missing.certbotMissing) ??
        NAME_COUNTS.map((n) => results[key(tool, n)]?.error).find((e) => e !== undefined);
      return problem
        ? [`${tool === 'lego' ? 'Lego' : 'Certbot'} did not give full figures: ${problem}.`]
        : [];
    }),
  ].filter((x): x is string => x !== undefined);
  return `Target: acme-ha ≤ ${TARGET_RATIO}× lego's median. ${parts.join('. ')}. ${notes.join(' ')}`;
}
