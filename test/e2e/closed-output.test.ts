/**
 * A reader that goes away — `acme-ha … | head -1`, `| grep -q`, a pager quit early — closes the
 * command's standard output. The real executables (the full CLI, the agent and DMZ bundles, each
 * started as a user or systemd starts it) then end quietly: no EPIPE stack trace, the command's own
 * exit code (0 for --help and --version), and the work finished as if the output had been read.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { aPki, keyPemOf, pemOf } from '../support/pki.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'acme-ha.js');
const AGENT_BUNDLE = join(ROOT, 'dist', 'agent', 'acme-ha-agent.mjs');
const DMZ_BUNDLE = join(ROOT, 'dist', 'dmz', 'acme-ha-dmz.mjs');

interface ClosedRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/**
 * Runs a command whose standard output is a pipe that nobody reads: its read end is closed before
 * the child has started (Node takes tens of milliseconds to start), so the child's first write to
 * stdout already fails with EPIPE — as with `| head -1` after the first line, without the race.
 * With `closeStderr`, stderr is such a pipe too (`2>&1 | head -1`).
 */
function runWithClosedStdout(
  command: string,
  args: readonly string[],
  options: { readonly closeStderr?: boolean } = {},
): Promise<ClosedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    if (options.closeStderr) child.stderr.destroy();
    let stderr = '';
    if (!options.closeStderr) child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

const cli = (args: readonly string[], options?: { closeStderr?: boolean }) =>
  runWithClosedStdout(process.execPath, [BIN, ...args], options);

describe('a closed stdout ends acme-ha quietly', () => {
  let dir: string;
  let files: { key: string; cert: string; chain: string; garbage: string };
  beforeAll(async () => {
    dir = await tempDir('acme-ha-closed-output-');
    const pki = await aPki();
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    files = {
      key: write('key.pem', keyPemOf(pki.leafKey)),
      cert: write('cert.pem', pemOf([pki.leaf])),
      chain: write('chain.pem', pemOf(pki.intermediates)),
      garbage: write('garbage.pem', 'this is not PEM\n'),
    };
  });

  it('--help and --version exit 0 with nothing on stderr', async () => {
    for (const args of [['renew', '--help'], ['agent', 'sync', '--help'], ['--help'], ['--version']]) {
      const result = await cli(args);
      expect(result, args.join(' ')).toEqual({ code: 0, signal: null, stderr: '' });
    }
  });

  it('a command finishes its work and exits with its own code, its output dropped', async () => {
    const out = join(dir, 'pem');
    const built = await cli([
      'keystore',
      'build',
      '--format',
      'pem',
      '--key',
      files.key,
      '--cert',
      files.cert,
      '--chain',
      files.chain,
      '--out',
      out,
    ]);
    expect(built).toEqual({ code: 0, signal: null, stderr: '' });
    expect(readdirSync(out).sort()).toEqual([
      'cert.pem',
      'chain.pem',
      'combined.pem',
      'fullchain.pem',
      'privkey.pem',
    ]);

    // An error still reaches stderr, with its exit code.
    const refused = await cli(['keystore', 'inspect', files.garbage]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^acme-ha: .*not a JKS, PKCS#12 or PEM keystore\n$/);
  });

  it('with stderr closed as well, the exit code is still the command’s', async () => {
    expect(await cli(['keystore', 'inspect', files.garbage], { closeStderr: true })).toMatchObject({
      code: 3,
      signal: null,
    });
    expect(await cli(['renew', '--help'], { closeStderr: true })).toMatchObject({ code: 0, signal: null });
  });

  it('through a shell pipeline into a reader that exits at once (bash -o pipefail)', async () => {
    const result = await runWithShell(`"${process.execPath}" "${BIN}" renew --help | true`);
    expect(result).toEqual({ code: 0, signal: null, stderr: '' });
  });
});

describe('the agent and DMZ bundles, started by their own first line', () => {
  it('agent --help and --version exit 0 with nothing on stderr', async () => {
    expect(existsSync(AGENT_BUNDLE)).toBe(true);
    for (const args of [['agent', 'sync', '--help'], ['--version']])
      expect(await runWithClosedStdout(AGENT_BUNDLE, args), args.join(' ')).toEqual({
        code: 0,
        signal: null,
        stderr: '',
      });
  });

  it('dmz --help and --version exit 0 with nothing on stderr', async () => {
    expect(existsSync(DMZ_BUNDLE)).toBe(true);
    for (const args of [['dmz', 'serve', '--help'], ['--version']])
      expect(await runWithClosedStdout(DMZ_BUNDLE, args), args.join(' ')).toEqual({
        code: 0,
        signal: null,
        stderr: '',
      });
  });
});

/** `bash -o pipefail -c LINE`: the exit code is the pipeline's first failure, stdout discarded. */
function runWithShell(line: string): Promise<ClosedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', line], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}
