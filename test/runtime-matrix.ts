/**
 * `npm run test:runtimes` (the last step of `npm test`): the suites of what ships to other Node.js
 * versions run again on each of them. `vitest run` before it covers everything on the build's own
 * Node 20; here the pinned Node 22 and 24 of build/runtimes.ts run vitest itself, and come first on
 * the PATH, so every process a suite starts (the CLI, the agent daemon, a Lambda bundle, the DMZ
 * receiver) runs on that version too.
 *
 * Which parts run where (README, "Supported Node.js versions"):
 * - the Lambda functions deploy on nodejs22.x and nodejs24.x: the renewer, the responders, the fleet
 *   watch, their stores and the ACME client;
 * - the node agent and the DMZ receiver run on the host's Node 20, 22 or 24 (or as the single
 *   executable, on the Node it embeds, see build/package-agent.ts);
 * - the CLI, the CDK app and the embedded stack run where the operator builds: Node 20 and later,
 *   covered by the main run.
 *
 *   npx tsx test/runtime-matrix.ts [22] [24]   (default: every pinned runtime)
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { isRuntimeMajor, nodeRuntime, RUNTIMES, type RuntimeMajor } from '../build/runtimes.ts';

const ROOT = join(import.meta.dirname, '..');

/** The suites that cover code running on a deployed runtime, by the part they cover. */
export const MATRIX_SUITES = {
  lambdas: [
    'test/integration/control-plane',
    'test/integration/acme',
    'test/integration/contracts/aws.test.ts',
    'test/integration/contracts/acme.test.ts',
    'test/unit/challenge',
    'test/unit/renewal',
  ],
  agent: [
    'test/unit/agent',
    'test/unit/keystore',
    'test/integration/agent',
    'test/integration/keystore-java.test.ts',
    'test/integration/contracts/fs.test.ts',
    'test/integration/contracts/tls.test.ts',
    'test/integration/contracts/clock.test.ts',
    'test/e2e/agent-cli.test.ts',
    'test/e2e/agent-sync-outcomes.test.ts',
    'test/e2e/status-cli.test.ts',
  ],
  dmz: [
    'test/unit/dmz',
    'test/integration/dmz',
    'test/e2e/dmz-cli.test.ts',
    'test/fault/dmz-bad-input.test.ts',
  ],
} as const;

/** Runs the matrix suites on one runtime; resolves with vitest's exit code. */
async function runOn(major: RuntimeMajor): Promise<number> {
  const node = await nodeRuntime(major);
  const suites = Object.values(MATRIX_SUITES).flat();
  process.stdout.write(`\n[runtimes] Node ${RUNTIMES[major].version}: ${suites.length} suite paths\n`);
  const child = spawn(node, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...suites], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` },
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((m) => !isRuntimeMajor(m));
if (unknown.length > 0) {
  process.stderr.write(
    `runtime-matrix: no pinned runtime ${unknown.join(', ')} (pinned: ${Object.keys(RUNTIMES).join(', ')})\n`,
  );
  process.exit(2);
}
const majors = (wanted.length ? wanted : Object.keys(RUNTIMES)).map((m) => Number(m) as RuntimeMajor);
const failed: string[] = [];
for (const major of majors) if ((await runOn(major)) !== 0) failed.push(RUNTIMES[major].version);
process.stdout.write(
  failed.length
    ? `[runtimes] failed on Node ${failed.join(', ')}\n`
    : `[runtimes] passed on Node ${majors.map((m) => RUNTIMES[m].version).join(', ')}\n`,
);
process.exitCode = failed.length ? 1 : 0;
