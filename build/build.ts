/**
 * `npm run build` (and `prepare`, so `npm ci` leaves a working `npx acme-ha`): everything that
 * ships, built once into dist/ with esbuild, declarations with tsc.
 *
 *   dist/cli/acme-ha.mjs        the full CLI; the package's dependencies stay external, commands in
 *                               chunks loaded when they run
 *   dist/agent/acme-ha-agent.mjs  the node agent (`agent`, `status`), everything inside: the entry,
 *                               and in lib/ the chunks it loads when it needs them
 *   dist/dmz/acme-ha-dmz.mjs    the DMZ receiver (`dmz`), the same way
 *   dist/functions/<name>/      each Lambda handler, one file with the AWS SDK inside
 *   dist/index.mjs, dist/cdk.mjs  the public API (`acme-ha`, `acme-ha/cdk`), dependencies external
 *   dist/types/                 declarations of the public API
 *
 * Source maps everywhere, so stack traces name `.ts` lines (the CLI and the bundles turn them on).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, cp, mkdir, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { ESBUILD_SHARED, FUNCTION_ENTRIES } from '../cdk/function-bundle.ts';

const run = promisify(execFile);
export const ROOT = join(import.meta.dirname, '..');
export const DIST = join(ROOT, 'dist');

/**
 * The first lines of the agent and DMZ bundles, how they start when run as programs (the systemd
 * unit runs the file itself). Measured on the idle agent (docs/design/2026-11-28-agent.md, "Memory
 * of the idle agent"); neither slows a sync measurably.
 * - `--max-semi-space-size=1`: V8's young generation grows to 8 MiB per semi-space while the agent
 *   starts and stays there until the memory reducer shrinks it; 1 MiB caps it (start-up RSS −2.5 MiB).
 * - `MALLOC_TRIM_THRESHOLD_=131072`: glibc's default value, set explicitly, which turns off its
 *   dynamic thresholds: after the bundle is read and parsed (one large buffer freed), glibc would
 *   otherwise keep several MiB of freed parser memory. Other C libraries ignore it.
 * - `--jitless`: V8 interprets and never compiles to machine code, so the compilers' code in the
 *   node binary is never paged in and no compiled code is kept (idle RSS −4 MiB). The agent waits on
 *   the network; what it computes (ASN.1 of one keystore, hashes in OpenSSL) takes milliseconds in
 *   the interpreter. No WebAssembly either: nothing in the bundles may use `fetch` (undici parses
 *   HTTP in WebAssembly); the HTTP reload uses node:http.
 * - `--no-expose-wasm` on Node 20 to 23 only: their V8 warns on stderr that `--jitless` turns
 *   WebAssembly off unless told so explicitly; Node 24's V8 no longer has the flag and refuses to
 *   start with it. A `#!` line cannot choose, so the file starts as a shell script that does: line 2
 *   is, to sh, a no-op (`:`) then the real start, and to JavaScript a string and a comment. `node -v`
 *   answers before V8 starts (about 5 ms). The self-contained archives know their Node (24) and
 *   start it from a plain wrapper with the same settings (build/package-agent.ts).
 * - `ACME_HA_PROGRAM`: the path this program was started by, which `agent install` writes into
 *   the unit (cli/agent/install-runner.ts), so the service starts the same way and keeps the flags.
 */
export const LAUNCH_FLAGS = ['--max-semi-space-size=1', '--jitless'] as const;
/** What the launchers export before they start Node (see {@link LAUNCH_FLAGS}). */
export const LAUNCH_ENV = 'MALLOC_TRIM_THRESHOLD_=131072 ACME_HA_PROGRAM="$0"';
export const LAUNCHER = [
  '#!/bin/sh',
  `':' //; case "$(node -v)" in v2[0-3].*) w=--no-expose-wasm ;; esac; export ${LAUNCH_ENV}; exec node ${LAUNCH_FLAGS.join(' ')} \${w-} "$0" "$@"`,
].join('\n');

const BUILTINS = new Set(builtinModules);

/**
 * Node built-ins as `require()`, not `import`: an ES import of a built-in loads it when the bundle
 * starts, whether or not the code that uses it ever runs, and gives it an ES module facade that
 * reads every export once (node:tls' `rootCertificates` turns Node's whole CA list into strings).
 * Through require, a built-in loads with the first module that needs it.
 */
const builtinsOnDemand: Plugin = {
  name: 'builtins-on-demand',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.kind === 'require-call' || args.namespace === 'builtin' || !BUILTINS.has(name))
        return undefined;
      return { path: name, namespace: 'builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};

/**
 * zod with its English messages only (the ones it uses unless told otherwise): its other 40-odd
 * locales, about 300 KB of source that V8 would keep in memory, are never used here. `z.locales`
 * (and `z.core.locales`) then hold `en` alone.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core|mini)[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/** CommonJS dependencies call require(): give an ES module bundle one. */
const REQUIRE_BANNER =
  "import { createRequire as __acmeHaRequire } from 'node:module'; const require = __acmeHaRequire(import.meta.url);";

/** One thing dist/ holds, as esbuild builds it. */
export interface Target {
  readonly name: string;
  readonly options: BuildOptions;
  /** The output (in `outdir`) that runs as a program through its first line: made executable. */
  readonly program?: string;
}

const NODE = { bundle: true, platform: 'node', format: 'esm', target: 'node20' } as const;

const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<
  'dependencies' | 'optionalDependencies' | 'peerDependencies',
  Record<string, string>
>;

/**
 * What the CLI and the public API leave to npm: the package's runtime, optional and peer
 * dependencies. Everything else they import is bundled in: the keystore's ASN.1 libraries, for
 * one, are development dependencies, because loading them as CommonJS packages from node_modules
 * cost `keystore build` a third of its time (320 → 208 ms, see docs/benchmarks.md).
 */
const RUNTIME_PACKAGES = Object.keys({
  ...PACKAGE.dependencies,
  ...PACKAGE.optionalDependencies,
  ...PACKAGE.peerDependencies,
}).flatMap((name) => [name, `${name}/*`]);

/**
 * A process bundle (agent, DMZ receiver) for hosts without npm, built for a small idle footprint (see
 * "Memory of the idle agent" in docs/design/2026-11-28-agent.md): the entry `<name>.mjs` and, in
 * `lib/`, chunks that load when first imported (an idle agent reads about half the code: V8 keeps
 * every loaded script's source in its heap); the ES module builds of the SDK (esbuild leaves out what
 * is never used), whitespace-minified ASCII (one byte a character in V8's heap only when every
 * character is ASCII), identifiers kept (minifying them makes V8 compile more eagerly), built-ins and
 * zod locales on demand. Every file needs the whole directory.
 */
function processBundle(name: string, entry: string, file: string): Target {
  return {
    name,
    program: `${file}.mjs`,
    options: {
      ...NODE,
      entryPoints: { [file]: join(ROOT, entry) },
      outdir: join(DIST, name),
      outExtension: { '.js': '.mjs' },
      splitting: true,
      chunkNames: 'lib/[name]-[hash]',
      mainFields: ['module', 'main'],
      minifyWhitespace: true,
      charset: 'ascii',
      legalComments: 'none',
      sourcemap: 'linked',
      sourcesContent: false,
      plugins: [builtinsOnDemand, zodEnglishOnly],
      banner: { js: `${LAUNCHER}\n${REQUIRE_BANNER}` },
    },
  };
}

/**
 * Code that runs from the installed package (the CLI, the public API): ES modules in chunks loaded
 * when first imported, the package's own dependencies left to npm.
 */
const PACKAGE_MODULES = {
  ...NODE,
  splitting: true,
  external: RUNTIME_PACKAGES,
  mainFields: ['module', 'main'],
  banner: { js: REQUIRE_BANNER },
  sourcemap: 'linked',
  sourcesContent: false,
  outExtension: { '.js': '.mjs' },
} as const satisfies BuildOptions;

/** Everything dist/ holds, by name (`npm run build -- cli functions` builds just those). */
export const TARGETS: readonly Target[] = [
  {
    name: 'cli',
    options: {
      ...PACKAGE_MODULES,
      mainFields: [...PACKAGE_MODULES.mainFields],
      entryPoints: { 'acme-ha': join(ROOT, 'cli', 'acme-ha.ts') },
      outdir: join(DIST, 'cli'),
      // Each command's runner, and the embedded stack, in a chunk of its own, loaded when it runs.
      chunkNames: '[name]-[hash]',
    },
  },
  processBundle('agent', 'cli/agent-entry.ts', 'acme-ha-agent'),
  processBundle('dmz', 'cli/dmz-entry.ts', 'acme-ha-dmz'),
  ...FUNCTION_ENTRIES.map(
    (entry): Target => ({
      name: `function:${entry}`,
      options: {
        ...ESBUILD_SHARED,
        mainFields: [...ESBUILD_SHARED.mainFields],
        banner: { js: ESBUILD_SHARED.banner },
        bundle: true,
        entryPoints: [join(ROOT, 'functions', `${entry}.ts`)],
        outfile: join(DIST, 'functions', entry, 'index.mjs'),
        // Stack traces need file and line only; embedding the sources would quadruple the map.
        sourcemap: 'linked',
        sourcesContent: false,
      },
    }),
  ),
  {
    name: 'api',
    options: {
      ...PACKAGE_MODULES,
      mainFields: [...PACKAGE_MODULES.mainFields],
      entryPoints: { index: join(ROOT, 'index.ts'), cdk: join(ROOT, 'cdk', 'index.ts') },
      outdir: DIST,
      // Shared code in one chunk, so `acme-ha` and `acme-ha/cdk` share classes (instanceof holds).
      // Beside the entries, not in a folder: cdk/function-bundle.ts finds dist/functions/ relative
      // to the module it ends up in.
      chunkNames: 'shared-[hash]',
    },
  },
];

/** Builds one target; with `write: false` nothing is written and the metafile says what is inside. */
export async function buildTarget(target: Target, write = true): Promise<Metafile> {
  const result = await build({ ...target.options, write, metafile: true, logLevel: 'warning' });
  if (write && target.program && target.options.outdir)
    await chmod(join(target.options.outdir, target.program), 0o755);
  return result.metafile;
}

/** Files the built code reads beside itself at run time. */
async function copyResources(): Promise<void> {
  // local/java-tls-server.ts compiles this next to itself: in the bundle, next to the CLI's chunks.
  await mkdir(join(DIST, 'cli', 'java'), { recursive: true });
  await cp(join(ROOT, 'local', 'java'), join(DIST, 'cli', 'java'), { recursive: true });
}

/** The public API's declarations (tsc; the `.ts` specifiers it keeps resolve to the `.d.ts` files). */
async function declarations(): Promise<void> {
  await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
  });
}

export interface BuildRequest {
  /** Targets by name prefix (`function` for every Lambda). @default every target */
  readonly targets?: readonly string[];
  /** The public API's declarations (tsc, about 8 s of the build). @default true */
  readonly declarations?: boolean;
  /**
   * Empty dist/ first (whole builds only). Without, files are overwritten in place and chunks of
   * older builds stay unreferenced: what the test setup does, so that a second test run at the same
   * time never finds dist/ missing. @default true
   */
  readonly clean?: boolean;
}

/** Builds into dist/; the whole of it (emptied first) unless targets are named. */
export async function buildAll(request: BuildRequest = {}): Promise<void> {
  const names = request.targets ?? [];
  const chosen = names.length ? TARGETS.filter((t) => names.some((n) => t.name.startsWith(n))) : TARGETS;
  if (request.clean !== false) {
    const dirs = names.length
      ? chosen.flatMap((t) => (t.options.outdir && t.options.outdir !== DIST ? [t.options.outdir] : []))
      : [DIST];
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
  await Promise.all([
    ...chosen.map((target) => buildTarget(target)),
    ...(chosen.some((t) => t.name === 'cli') ? [copyResources()] : []),
    ...(request.declarations !== false && chosen.some((t) => t.name === 'api') ? [declarations()] : []),
  ]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const args = process.argv.slice(2);
  const targets = args.filter((a) => !a.startsWith('--'));
  await buildAll({ targets, declarations: !args.includes('--no-declarations') });
  process.stdout.write(
    `built ${targets.length ? targets.join(', ') : 'dist/'} in ${Math.round(performance.now() - started)} ms\n`,
  );
}
