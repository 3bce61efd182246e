/**
 * Start-up of the built CLI (issue 16): `acme-ha --version` and `keystore build --format jks` as
 * whole processes, beside a bare `node -e 0`, and lego's and certbot's own `--version` on the same
 * machine. An agent's reload hook, a cron job or a CI step pays this on every call.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aPki, keyPemOf, pemOf } from '../test/support/pki.ts';
import { fmt, type Stats, stats, timeCommand } from './measure.ts';
import type { BenchSuite } from './suite.ts';
import { CERTBOT, failureText, LEGO, packageVersion, tryEnsure } from './support/tools.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'acme-ha.js');
/** Issue 16: `--version` within 2.5× a bare Node start and under 250 ms; a JKS build under 400 ms. */
const VERSION_RATIO = 2.5;
const VERSION_MS = 250;
const KEYSTORE_MS = 400;

interface Measured {
  readonly time: Stats;
  readonly rss: Stats;
}

async function measure(runs: number, command: string, args: (i: number) => string[], env = {}) {
  const ms: number[] = [];
  const rss: number[] = [];
  // One unmeasured run: the page cache, not the program, is what a first run measures.
  await timeCommand(command, args(-1), env);
  for (let i = 0; i < runs; i++) {
    const r = await timeCommand(command, args(i), env);
    ms.push(r.ms);
    rss.push(r.peakRssKiB / 1024);
  }
  return { time: stats(ms), rss: stats(rss) } satisfies Measured;
}

/** A tool that may be missing: its figures, or why there are none. */
async function other(tool: typeof LEGO, runs: number, args: string[]): Promise<Measured | string> {
  const missing = await tryEnsure(tool);
  if (missing) return missing;
  try {
    return await measure(runs, tool.command, () => args);
  } catch (error) {
    return failureText(error);
  }
}

export const startUp: BenchSuite = {
  id: 'start-up',
  title: 'CLI start-up (the built CLI, whole processes)',
  target: `acme-ha --version ≤ ${VERSION_RATIO}× node -e 0 and < ${VERSION_MS} ms median; keystore build --format jks < ${KEYSTORE_MS} ms (issue 16)`,
  async run({ quick }) {
    const runs = quick ? 5 : 21;
    const dir = await mkdtemp(join(tmpdir(), 'acme-ha-bench-start-'));
    try {
      const pki = await aPki({ keyType: 'ec-p256', intermediates: 1 });
      writeFileSync(join(dir, 'key.pem'), keyPemOf(pki.leafKey));
      writeFileSync(join(dir, 'fullchain.pem'), pemOf(pki.chain));
      const node = await measure(runs, process.execPath, () => ['-e', '0']);
      const version = await measure(runs, process.execPath, () => [BIN, '--version']);
      const help = await measure(runs, process.execPath, () => [BIN, 'keystore', '--help']);
      const jks = await measure(
        runs,
        process.execPath,
        (i) => [
          BIN,
          'keystore',
          'build',
          '--key',
          join(dir, 'key.pem'),
          '--cert',
          join(dir, 'fullchain.pem'),
          '--format',
          'jks',
          '--out',
          join(dir, `out-${i}.jks`),
          '--password-env',
          'KS_PASS',
        ],
        { KS_PASS: 'changeit' },
      );
      const lego = await other(LEGO, runs, ['--version']);
      const certbot = await other(CERTBOT, runs, ['--version']);
      const versions = { lego: await packageVersion('lego'), certbot: await packageVersion('certbot') };
      const row = (what: string, m: Measured | string): string[] =>
        typeof m === 'string'
          ? [what, 'not measured', m]
          : [what, fmt(m.time), fmt(m.rss, 'MiB'), `${(m.time.median / node.time.median).toFixed(2)}×`];
      const ratio = version.time.median / node.time.median;
      const versionMet = ratio <= VERSION_RATIO && version.time.median < VERSION_MS;
      const jksMet = jks.time.median < KEYSTORE_MS;
      return {
        columns: ['command', 'wall time, median (min–max)', 'peak RSS', '× node -e 0'],
        rows: [
          row('node -e 0 (the floor)', node),
          row('acme-ha --version', version),
          row('acme-ha keystore --help', help),
          row('acme-ha keystore build --format jks', jks),
          row(`lego --version (${versions.lego})`, lego),
          row(`certbot --version (${versions.certbot})`, certbot),
        ],
        verdict:
          `--version takes ${version.time.median.toFixed(0)} ms, ${ratio.toFixed(2)}× a bare Node start ` +
          `(target ≤ ${VERSION_RATIO}× and < ${VERSION_MS} ms: ${versionMet ? 'met' : 'NOT met'}); ` +
          `a JKS build takes ${jks.time.median.toFixed(0)} ms (target < ${KEYSTORE_MS} ms: ${jksMet ? 'met' : 'NOT met'}).`,
        method:
          `${runs} runs of each command after one unmeasured run, timed with /usr/bin/time (peak RSS), ` +
          `node ${process.version}; acme-ha as \`node bin/acme-ha.js\`, which runs the built CLI (dist/cli/, ` +
          'commands loaded when they run, npm dependencies from node_modules). The JKS build: an ECDSA P-256 leaf and one intermediate.',
        raw: { node, version, help, jks, lego, certbot, versions },
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
