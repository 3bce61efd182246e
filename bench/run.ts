/**
 * `npm run bench [-- --quick]`: runs every suite, writes the raw results to bench/results/ and
 * regenerates docs/benchmarks.md (machine, date, versions, method, medians with min–max).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ensureTools, TOOLS } from '../local/prerequisites.ts';
import { acmeOrder } from './acme-order.ts';
import { agentFootprint } from './agent-footprint.ts';
import { convergence } from './convergence.ts';
import { costModel } from './cost-model.ts';
import { keystoreBuild } from './keystore-build.ts';
import { responder } from './responder.ts';
import { scale } from './scale.ts';
import { selfContained } from './self-contained.ts';
import { stackStart } from './stack-start.ts';
import { startUp } from './start-up.ts';
import type { BenchSuite, SuiteResult, SuiteTable } from './suite.ts';
import { lineChart } from './svg-chart.ts';
import { zeroDowntime } from './zero-downtime.ts';

// The SDK's notice that its 2027 releases need Node 22 says nothing about what is measured here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// costModel prices what convergence, agentFootprint and scale counted: keep it after them.
const SUITES: readonly BenchSuite[] = [
  startUp,
  keystoreBuild,
  stackStart,
  acmeOrder,
  convergence,
  responder,
  agentFootprint,
  scale,
  costModel,
  selfContained,
  zeroDowntime,
];
const ROOT = join(import.meta.dirname, '..');

function version(command: string, args: string[]): string {
  try {
    return (
      execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
        .toString()
        .split('\n')[0]
        ?.trim() ?? '?'
    );
  } catch (error) {
    return ((error as { stderr?: Buffer }).stderr?.toString().split('\n')[0] ?? 'not installed').trim();
  }
}

/** What bench/results/latest.json holds. */
interface Saved {
  /** When the last whole run started. */
  readonly date: string;
  readonly quick: boolean;
  readonly machine: Record<string, unknown>;
  readonly results: Record<string, SuiteResult>;
  /** Suites measured after the whole run (`--only`), and when. */
  readonly measured?: Record<string, string>;
}

const SAVED = join(ROOT, 'bench', 'results', 'latest.json');

function write(saved: Saved): void {
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(SAVED, `${JSON.stringify(saved, null, 2)}\n`);
  writeFileSync(join(ROOT, 'docs', 'benchmarks.md'), render(saved));
}

/** The suites named by `--only a,b`, or every suite. @throws naming an unknown suite */
function chosenSuites(): readonly BenchSuite[] {
  const index = process.argv.indexOf('--only');
  if (index < 0) return SUITES;
  const ids = (process.argv[index + 1] ?? '').split(',').filter(Boolean);
  const unknown = ids.filter((id) => !SUITES.some((s) => s.id === id));
  if (ids.length === 0 || unknown.length > 0)
    throw new Error(`--only takes suite ids: ${SUITES.map((s) => s.id).join(', ')}`);
  return SUITES.filter((s) => ids.includes(s.id));
}

async function runSuite(
  suite: BenchSuite,
  quick: boolean,
  measured: Readonly<Record<string, SuiteResult>>,
): Promise<SuiteResult> {
  console.log(`bench: ${suite.title} …`);
  const started = performance.now();
  try {
    return await suite.run({ quick, measured });
  } catch (error) {
    // One broken suite must not cost the figures of the others: it says so in its own section.
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    console.error(`bench: ${suite.id} failed: ${message}`);
    return {
      columns: ['case', 'result'],
      rows: [['whole suite', `failed: ${message.replaceAll('|', '\\|')}`]],
      verdict: `not measured: the suite failed (${message}).`,
      method: 'see the bench output',
      raw: { error: String(error) },
    };
  } finally {
    console.log(`bench: ${suite.id} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

/**
 * `npm run bench [-- --quick] [-- --only a,b]`: the whole run, or (`--only`) some suites measured
 * again into the saved results, each dated; `--render-only` writes the page from the saved results.
 */
async function main(): Promise<void> {
  if (process.argv.includes('--render-only')) {
    write(JSON.parse(readFileSync(SAVED, 'utf8')) as Saved);
    console.log('bench: rendered docs/benchmarks.md from bench/results/latest.json');
    return;
  }
  const quick = process.argv.includes('--quick');
  const suites = chosenSuites();
  await ensureTools([TOOLS.java, TOOLS.keytool, TOOLS.openssl, TOOLS.time], (line) => console.log(line));
  const now = new Date().toISOString();
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    openssl: version('openssl', ['version']),
    // java prints its version on stderr
    java: execFileSync('sh', ['-c', 'java -version 2>&1']).toString().split('\n')[0]?.trim() ?? '?',
  };
  const saved = existsSync(SAVED) ? (JSON.parse(readFileSync(SAVED, 'utf8')) as Saved) : undefined;
  const results: Record<string, SuiteResult> = {};
  for (const suite of suites)
    results[suite.id] = await runSuite(suite, quick, { ...saved?.results, ...results });
  if (suites === SUITES || !saved) {
    write({ date: now, quick, machine, results });
  } else {
    const measured = { ...saved.measured, ...Object.fromEntries(suites.map((s) => [s.id, now])) };
    write({ ...saved, machine, results: { ...saved.results, ...results }, measured });
  }
  console.log('bench: wrote docs/benchmarks.md and bench/results/latest.json');
}

function render({ date, quick, machine, results, measured }: Saved): string {
  const lines = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench`; do not edit by hand. Raw figures: `bench/results/latest.json`.',
    '',
    `- Date: ${date}${quick ? ' (`--quick`: fewer runs, wider error)' : ''}`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB`,
    `- Node ${machine.node}; ${machine.openssl}; ${machine.java}`,
    '',
  ];
  for (const suite of SUITES) {
    const result = results[suite.id];
    if (!result) continue;
    lines.push(`## ${suite.title}`, '', `Target: ${suite.target}.`, '');
    const when = measured?.[suite.id];
    if (when)
      lines.push(`Measured ${when}, after the whole run (\`npm run bench -- --only ${suite.id}\`).`, '');
    lines.push(...table(result));
    for (const extra of result.tables ?? []) lines.push('', `**${extra.title}**`, '', ...table(extra));
    lines.push('', `**Verdict:** ${result.verdict}`, '', `Method: ${result.method}`, '');
    const chart = suite.chart?.(result.raw);
    if (chart) {
      mkdirSync(join(ROOT, 'docs', 'benchmarks'), { recursive: true });
      writeFileSync(join(ROOT, 'docs', 'benchmarks', `${suite.id}.svg`), lineChart(chart));
      lines.push(`![${chart.title}](benchmarks/${suite.id}.svg)`, '');
    }
  }
  return `${lines.join('\n')}`;
}

function table({ columns, rows }: Pick<SuiteTable, 'columns' | 'rows'>): string[] {
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => ' --- ').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

await main();
