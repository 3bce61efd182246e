/**
 * `npm run package:agent`: the installable artifact for nodes that have Node.js but no npm registry
 * and no build tools — one bundled agent (esbuild; only the agent, status and DMZ commands, no ACME
 * client, no embedded stack, no tsx), the example configuration, an install script and a README,
 * in `dist/acme-ha-agent-<version>.tar.gz`.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

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

export async function packageAgent(out = join(ROOT, 'dist')): Promise<string> {
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const name = `acme-ha-agent-${version}`;
  const dir = join(out, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'agent', 'agent-bundle-entry.ts')],
    outfile: join(dir, 'acme-ha-agent.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: false,
    legalComments: 'none',
    // CommonJS dependencies of the SDK call require(): give the ES module one.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __acmeHaRequire } from 'node:module';\nconst require = __acmeHaRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  await copyFile(join(ROOT, 'examples', 'agent.yaml'), join(dir, 'agent.yaml.example'));
  await writeFile(join(dir, 'install.sh'), INSTALL_SH, { mode: 0o755 });
  await writeFile(
    join(dir, 'README.txt'),
    `acme-ha agent ${version}\n\nNeeds Node.js >= 20. As root: ./install.sh (see agent.yaml.example).\nRun by hand: node acme-ha-agent.mjs agent sync --config agent.yaml\n`,
  );
  const archive = join(out, `${name}.tar.gz`);
  await run('tar', ['-czf', archive, '-C', out, name]);
  return archive;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const archive = await packageAgent();
  process.stdout.write(`${archive}\n`);
}
