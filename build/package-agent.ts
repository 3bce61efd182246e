/**
 * `npm run package:agent`: the installable artifact for nodes that have Node.js but no npm registry
 * and no build tools — the agent bundle of build/build.ts (the `agent` and `status` commands; no
 * ACME client, no embedded stack, no tsx: `acme-ha-agent.mjs` and its chunks in `lib/`) with source
 * maps, the example configuration, an install script and a README, in
 * `dist/acme-ha-agent-<version>.tar.gz`.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildTarget, DIST, LAUNCHER, ROOT, TARGETS } from './build.ts';

const run = promisify(execFile);

const INSTALL_SH = `#!/bin/sh
# Installs the acme-ha agent: the bundle in /opt/acme-ha, a config in /etc/acme-ha, then the
# hardened systemd unit and its user through \`acme-ha agent install\`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
command -v node >/dev/null || { echo "install.sh: Node.js >= 20 is needed" >&2; exit 1; }
install -d -m 0755 /opt/acme-ha
# Chunks are named by their content: an upgrade adds its own beside the older ones, which an agent
# still running the older version may load until it restarts.
install -d -m 0755 /opt/acme-ha/lib
install -m 0644 "$here"/lib/* /opt/acme-ha/lib/
install -m 0755 "$here/acme-ha-agent.mjs" /opt/acme-ha/acme-ha-agent.mjs
install -d -m 0750 /etc/acme-ha
if [ ! -f /etc/acme-ha/agent.yaml ]; then
  install -m 0640 "$here/agent.yaml.example" /etc/acme-ha/agent.yaml.example
  echo "install.sh: edit /etc/acme-ha/agent.yaml.example, save it as /etc/acme-ha/agent.yaml, run me again" >&2
  exit 2
fi
exec node /opt/acme-ha/acme-ha-agent.mjs agent install --config /etc/acme-ha/agent.yaml --bin /opt/acme-ha/acme-ha-agent.mjs "$@"
`;

export async function packageAgent(out = DIST): Promise<string> {
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const name = `acme-ha-agent-${version}`;
  const dir = join(out, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  // The agent bundle as `npm run build` makes it (see build/build.ts for its settings).
  const agent = TARGETS.find((t) => t.name === 'agent');
  if (!agent) throw new Error('build/build.ts has no agent target');
  await buildTarget({ ...agent, options: { ...agent.options, outdir: dir } });
  await copyFile(join(ROOT, 'examples', 'agent.yaml'), join(dir, 'agent.yaml.example'));
  await writeFile(join(dir, 'install.sh'), INSTALL_SH, { mode: 0o755 });
  await writeFile(
    join(dir, 'README.txt'),
    `acme-ha agent ${version}\n\nNeeds Node.js >= 20. As root: ./install.sh (see agent.yaml.example).\nRun by hand: ./acme-ha-agent.mjs agent sync --config agent.yaml (it needs lib/ beside it)\n\nThe installed service runs the file itself, so its first line starts Node with the settings that\nkeep the idle agent small (\`node acme-ha-agent.mjs\` runs without them):\n${LAUNCHER}\n\nStack traces name the TypeScript sources with NODE_OPTIONS=--enable-source-maps (the .map files).\n`,
  );
  const archive = join(out, `${name}.tar.gz`);
  await run('tar', ['-czf', archive, '-C', out, name]);
  return archive;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const archive = await packageAgent();
  process.stdout.write(`${archive}\n`);
}
