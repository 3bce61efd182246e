/**
 * The system tools the embedded stack and the tests rely on (Java, OpenSSL, Pebble, …). Missing ones
 * are installed from Debian's packages when we are root with apt-get; otherwise the error names the
 * packages and the command to install them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AcmeHaError } from '../core/errors.ts';

const run = promisify(execFile);

export interface Tool {
  /** Command looked up on PATH, or an absolute path. */
  readonly command: string;
  /** Debian package that provides it. */
  readonly debianPackage: string;
}

export const TOOLS = {
  java: { command: 'java', debianPackage: 'openjdk-17-jdk-headless' },
  javac: { command: 'javac', debianPackage: 'openjdk-17-jdk-headless' },
  keytool: { command: 'keytool', debianPackage: 'openjdk-17-jdk-headless' },
  openssl: { command: 'openssl', debianPackage: 'openssl' },
  /** Let's Encrypt's ACME test CA (embedded stack, integration tests); absolute: Debian's build. */
  pebble: { command: '/usr/bin/pebble', debianPackage: 'pebble' },
  /** Real reload targets for the agent's tests and the demo (PEM, `nginx -s reload`). */
  nginx: { command: 'nginx', debianPackage: 'nginx' },
  /** HAProxy with the runtime API (`set ssl cert` / `commit ssl cert`). */
  haproxy: { command: 'haproxy', debianPackage: 'haproxy' },
  /** GNU time, for peak RSS in benchmarks (the shell keyword has no -f). */
  time: { command: '/usr/bin/time', debianPackage: 'time' },
  /** Checks the agent's systemd unit offline (`verify`, `security --offline`); no systemd needed. */
  systemdAnalyze: { command: 'systemd-analyze', debianPackage: 'systemd' },
  /**
   * Checks and unit-tests the Prometheus rules in examples/monitoring (`check rules`, `test rules`).
   * Debian has no package of promtool alone; the tests never run the server it comes with.
   */
  promtool: { command: 'promtool', debianPackage: 'prometheus' },
} as const satisfies Record<string, Tool>;

export class MissingToolError extends AcmeHaError {
  override readonly name: string = 'MissingToolError';
  override readonly code = 'MISSING_TOOL';
  constructor(
    readonly packages: readonly string[],
    detail: string,
  ) {
    super(`missing ${packages.join(', ')}: ${detail}`);
  }
}

async function onPath(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure every tool is on PATH, installing the missing ones with apt-get when possible.
 * @param log receives one line per action, for progress output
 * @throws MissingToolError with the packages to install when it cannot install them itself
 */
export async function ensureTools(
  tools: readonly Tool[],
  log: (line: string) => void = () => {},
): Promise<void> {
  const missing = [];
  for (const tool of tools) if (!(await onPath(tool.command))) missing.push(tool);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => t.debianPackage))];
  const hint = `install them with: apt-get install -y ${packages.join(' ')}`;
  if (process.getuid?.() !== 0 || !(await onPath('apt-get'))) throw new MissingToolError(packages, hint);
  log(`installing ${packages.join(', ')} with apt-get (one-time)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Parallel test workers may install at the same moment: wait for dpkg's lock instead of failing.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  const install = () =>
    run('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...packages], { env });
  try {
    await install().catch(async () => {
      await run('apt-get', ['update'], { env });
      await install();
    });
  } catch (error) {
    throw new MissingToolError(
      packages,
      `apt-get failed (${(error as Error).message.split('\n')[0]}); ${hint}`,
    );
  }
  for (const tool of missing) {
    if (!(await onPath(tool.command)))
      throw new MissingToolError([tool.debianPackage], `${tool.command} still not on PATH`);
  }
}
