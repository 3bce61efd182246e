/**
 * `npm run package:agent`: the installable artifact for nodes that have Node.js but no npm registry
 * and no build tools — one bundled agent (esbuild; only the agent, status and DMZ commands, no ACME
 * client, no embedded stack, no tsx), the example configuration, an install script and a README,
 * in `dist/acme-ha-agent-<version>.tar.gz`.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');

const INSTALL_SH = `#!/bin/sh
# Installs the acme-ha agent: the bundle in /opt/acme-ha, a config in /etc/acme-ha, then the
# hardened systemd unit and its user through \`acme-ha agent install\`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
command -v node >/dev/null || { echo "install.sh: Node.js >= 20 is needed" >&2; exit 1; }
install -d -m 0755 /opt/acme-ha
install -m 0755 "$here/acme-ha-agent.mjs" /opt/acme-ha/acme-ha-agent.mjs
install -d -m 0750 /etc/acme-ha
if [ ! -f /etc/acme-ha/agent.yaml ]; then
  install -m 0640 "$here/agent.yaml.example" /etc/acme-ha/agent.yaml.example
  echo "install.sh: edit /etc/acme-ha/agent.yaml.example, save it as /etc/acme-ha/agent.yaml, run me again" >&2
  exit 2
fi
exec node /opt/acme-ha/acme-ha-agent.mjs agent install --config /etc/acme-ha/agent.yaml --bin /opt/acme-ha/acme-ha-agent.mjs "$@"
`;

/*
 * The bundle is built for a small idle footprint (`agent run` sits in a long poll almost all the
 * time): see "Memory of the idle agent" in docs/design/2026-11-28-agent.md for what each setting
 * saves. The commands' runners and everything an idle agent does not use (S3, keystore decoders, the
 * DMZ pusher, the responder) are dynamic imports, which esbuild keeps in this one file but evaluates
 * only when first imported.
 */

/**
 * The bundle's first line, how the installed agent starts: the systemd unit runs the file itself
 * (`ExecStart=/opt/acme-ha/acme-ha-agent.mjs agent run …`), so these settings apply to the service,
 * and to `./acme-ha-agent.mjs` by hand, not to `node acme-ha-agent.mjs`. Measured on the idle agent
 * (docs/design/2026-11-28-agent.md, "Memory of the idle agent"); neither slows a sync measurably.
 * - `--max-semi-space-size=1`: V8's young generation grows to 8 MiB per semi-space while the agent
 *   starts and stays there until the memory reducer shrinks it; 1 MiB caps it (start-up RSS −2.5 MiB).
 * - `MALLOC_TRIM_THRESHOLD_=131072`: glibc's default value, set explicitly, which turns off its
 *   dynamic thresholds: after the bundle is read and parsed (one large buffer freed), glibc would
 *   otherwise keep several MiB of freed parser memory (start-up RSS −6 MiB, and no idle runs that
 *   keep 4–6 MiB more than others). Other C libraries ignore it; reload commands inherit it.
 * `env -S` is GNU coreutils 8.30 or later, as on every distribution that runs Node.js 20.
 */
export const LAUNCHER = '#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=131072 node --max-semi-space-size=1';

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
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)
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

export async function packageAgent(out = join(ROOT, 'dist')): Promise<string> {
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const name = `acme-ha-agent-${version}`;
  const dir = join(out, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'cli', 'agent-entry.ts')],
    outfile: join(dir, 'acme-ha-agent.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The ES module builds first (the SDK's dist-es), from which esbuild leaves out what the agent
    // never uses: about 350 KB less of the SDK than its CommonJS builds, which come whole.
    mainFields: ['module', 'main'],
    // V8 keeps the whole source in the heap, one byte a character only when every character is ASCII
    // (esbuild escapes strings; minifying whitespace drops the comments, where one em dash made it two
    // bytes a character). Identifiers and syntax stay unminified: either makes V8 compile far more
    // eagerly at start (measured: about 17 MiB more RSS).
    minifyWhitespace: true,
    charset: 'ascii',
    legalComments: 'none',
    plugins: [builtinsOnDemand, zodEnglishOnly],
    // CommonJS dependencies of the SDK call require(): give the ES module one.
    banner: {
      js: `${LAUNCHER}\nimport { createRequire as __acmeHaRequire } from 'node:module';\nconst require = __acmeHaRequire(import.meta.url);`,
    },
    logLevel: 'warning',
  });
  await copyFile(join(ROOT, 'examples', 'agent.yaml'), join(dir, 'agent.yaml.example'));
  await writeFile(join(dir, 'install.sh'), INSTALL_SH, { mode: 0o755 });
  await writeFile(
    join(dir, 'README.txt'),
    `acme-ha agent ${version}\n\nNeeds Node.js >= 20. As root: ./install.sh (see agent.yaml.example).\nRun by hand: node acme-ha-agent.mjs agent sync --config agent.yaml\n\nThe installed service runs the file itself, so its first line starts Node with the settings that\nkeep the idle agent small (\`node acme-ha-agent.mjs\` runs without them):\n${LAUNCHER}\n`,
  );
  const archive = join(out, `${name}.tar.gz`);
  await run('tar', ['-czf', archive, '-C', out, name]);
  return archive;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const archive = await packageAgent();
  process.stdout.write(`${archive}\n`);
}
