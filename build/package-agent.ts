/**
 * `npm run package:agent`: the installable archives for hosts with no npm registry and no build
 * tools, in dist/:
 * - `acme-ha-agent-<version>.tar.gz`, for nodes that have Node.js 20, 22 or 24: the agent bundle of
 *   build/build.ts (the `agent` and `status` commands; no ACME client, no embedded stack, no tsx:
 *   `acme-ha-agent.mjs` and its chunks in `lib/`) with source maps, the example configuration, an
 *   install script and a README;
 * - `acme-ha-agent-<version>-linux-x64.tar.gz` and `acme-ha-dmz-<version>-linux-x64.tar.gz`, for
 *   hosts without Node.js: the same bundle (the agent's, the DMZ receiver's) with the pinned Node 24
 *   beside it (build/runtimes.ts) and one program to run, `bin/acme-ha-agent` (`bin/acme-ha-dmz`).
 *   Why this and not a Node single executable application: the SEA measured 25 MiB more idle RSS
 *   (docs/design/2026-12-05-self-contained-agent.md).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildTarget, DIST, LAUNCH_ENV, LAUNCH_FLAGS, LAUNCHER, ROOT, TARGETS } from './build.ts';
import { nodeRuntime, RUNTIMES, type RuntimeMajor } from './runtimes.ts';

const run = promisify(execFile);

/** The Node.js line the self-contained archives carry: the newest LTS line build/runtimes.ts pins. */
export const EMBEDDED_NODE: RuntimeMajor = 24;

/** Where the agent goes on a node, and the program that the unit runs in each kind of archive. */
const PREFIX = '/opt/acme-ha';

/**
 * The agent's install script. Both agent archives install the same files in /opt/acme-ha (the
 * self-contained one adds `runtime/` and `bin/`), a config in /etc/acme-ha, then the hardened
 * systemd unit and its user through `agent install`, which gets the script's arguments
 * (`--dry-run` prints what it would do). DESTDIR puts the files under another root, for trying it
 * out with `--dry-run` (the unit still names the real paths).
 */
function installScript(selfContained: boolean): string {
  const program = selfContained ? `${PREFIX}/bin/acme-ha-agent` : `${PREFIX}/acme-ha-agent.mjs`;
  const start = selfContained ? `"$root${program}"` : `node "$root${program}"`;
  return `#!/bin/sh
# Installs the acme-ha agent${selfContained ? ' with the Node.js it runs on (the host needs none)' : ''} in ${PREFIX},
# a config in /etc/acme-ha, then the hardened systemd unit and its user through \`agent install\`,
# which gets this script's arguments: ./install.sh --dry-run prints every file first.
# DESTDIR=/some/root puts the files there instead (with --dry-run, to try it out).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=\${DESTDIR-}
[ -n "$root" ] || [ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
${selfContained ? '' : 'command -v node >/dev/null || { echo "install.sh: Node.js 20, 22 or 24 is needed (or take the -linux-x64 archive, which brings its own)" >&2; exit 1; }\n'}install -d -m 0755 "$root${PREFIX}" "$root${PREFIX}/lib"
# Chunks are named by their content: an upgrade adds its own beside the older ones, which an agent
# still running the older version may load until it restarts. install(1) replaces each other file
# with a new one, so a running agent keeps the old until then too.
install -m 0644 "$here"/lib/* "$root${PREFIX}/lib/"
install -m 0755 "$here/acme-ha-agent.mjs" "$root${PREFIX}/acme-ha-agent.mjs"
${
  selfContained
    ? `install -d -m 0755 "$root${PREFIX}/bin" "$root${PREFIX}/runtime"
install -m 0755 "$here/runtime/node" "$root${PREFIX}/runtime/node"
install -m 0644 "$here/runtime/LICENSE" "$root${PREFIX}/runtime/LICENSE"
install -m 0755 "$here/bin/acme-ha-agent" "$root${program}"
`
    : ''
}install -d -m 0750 "$root/etc/acme-ha"
if [ ! -f "$root/etc/acme-ha/agent.yaml" ]; then
  install -m 0640 "$here/agent.yaml.example" "$root/etc/acme-ha/agent.yaml.example"
  echo "install.sh: edit $root/etc/acme-ha/agent.yaml.example, save it as $root/etc/acme-ha/agent.yaml, run me again" >&2
  exit 2
fi
exec ${start} agent install --config "$root/etc/acme-ha/agent.yaml" --bin ${program} "$@"
`;
}

/**
 * The program of a self-contained archive, `bin/<file>`: the bundle beside it started by the Node
 * beside it, with the launcher's settings (build/build.ts) minus `--no-expose-wasm`, which Node 24
 * does not have. Follows symbolic links to itself, so a link in /usr/local/bin works; calls no
 * other program otherwise (systemd's PATH or an empty one will do).
 */
function wrapper(file: string, description: string): string {
  return `#!/bin/sh
# ${description}: ../${file}.mjs on ../runtime/node (Node.js ${RUNTIMES[EMBEDDED_NODE].version}); the host needs no Node.js.
self=$0
[ -L "$self" ] && self=$(readlink -f "$self")
case $self in */*) ;; *) self=./$self ;; esac
here=\${self%/*}/..
export ${LAUNCH_ENV}
exec "$here/runtime/node" ${LAUNCH_FLAGS.join(' ')} "$here/${file}.mjs" "$@"
`;
}

/** A unit for the DMZ receiver (it installs no unit of its own): copied by hand, see docs/dmz.md. */
const DMZ_UNIT = `# The acme-ha DMZ receiver as a systemd service: /etc/systemd/system/acme-ha-dmz.service.
# It runs as root here because it writes the file server's keystore and restarts it; to narrow it,
# take the agent's unit as the model (acme-ha-agent agent install --dry-run prints it): User=,
# ProtectSystem=strict and ReadWritePaths= for the target directories and /var/lib/acme-ha-dmz.
[Unit]
Description=acme-ha DMZ receiver
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/opt/acme-ha-dmz/bin/acme-ha-dmz dmz serve --config /etc/acme-ha-dmz/receiver.yaml
EnvironmentFile=-/etc/acme-ha-dmz/receiver.env
Restart=on-failure
RestartSec=5
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full
ProtectHome=yes

[Install]
WantedBy=multi-user.target
`;

async function packageVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** An empty folder `out/name` holding the process bundle `name` of build/build.ts, as it builds it. */
async function bundleDir(out: string, name: string, bundle: 'agent' | 'dmz'): Promise<string> {
  const dir = join(out, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const found = TARGETS.find((t) => t.name === bundle);
  if (!found) throw new Error(`build/build.ts has no ${bundle} target`);
  await buildTarget({ ...found, options: { ...found.options, outdir: dir } });
  return dir;
}

/** `out/<name>.tar.gz` of the folder `out/<name>`. */
async function archive(out: string, name: string): Promise<string> {
  const file = join(out, `${name}.tar.gz`);
  await run('tar', ['-czf', file, '-C', out, name]);
  return file;
}

/** The pinned Node (its official binary, unchanged: stripping it measured 5 MB more RSS) and licence. */
async function addRuntime(dir: string, node: string): Promise<void> {
  await mkdir(join(dir, 'runtime'));
  await copyFile(node, join(dir, 'runtime', 'node'));
  await copyFile(join(node, '..', '..', 'LICENSE'), join(dir, 'runtime', 'LICENSE'));
}

export async function packageAgent(out = DIST): Promise<string> {
  const version = await packageVersion();
  const name = `acme-ha-agent-${version}`;
  const dir = await bundleDir(out, name, 'agent');
  await copyFile(join(ROOT, 'examples', 'agent.yaml'), join(dir, 'agent.yaml.example'));
  await writeFile(join(dir, 'install.sh'), installScript(false), { mode: 0o755 });
  await writeFile(
    join(dir, 'README.txt'),
    `acme-ha agent ${version}\n\nNeeds Node.js 20, 22 or 24. As root: ./install.sh (see agent.yaml.example).\nRun by hand: ./acme-ha-agent.mjs agent sync --config agent.yaml (it needs lib/ beside it)\n\nThe installed service runs the file itself, so its first lines start Node with the settings that\nkeep the idle agent small (\`node acme-ha-agent.mjs\` runs without them):\n${LAUNCHER}\n\nStack traces name the TypeScript sources with NODE_OPTIONS=--enable-source-maps (the .map files).\n`,
  );
  return archive(out, name);
}

/**
 * The self-contained archives, agent first: each bundle with Node 24 in `runtime/` and its program
 * in `bin/`; the agent's with its install script, the DMZ receiver's with a systemd unit.
 */
export async function packageSelfContained(out = DIST): Promise<[string, string]> {
  const version = await packageVersion();
  const node = await nodeRuntime(EMBEDDED_NODE);
  const nodeVersion = RUNTIMES[EMBEDDED_NODE].version;
  const agentName = `acme-ha-agent-${version}-linux-x64`;
  const dmzName = `acme-ha-dmz-${version}-linux-x64`;
  const [agent, dmz] = await Promise.all([
    bundleDir(out, agentName, 'agent'),
    bundleDir(out, dmzName, 'dmz'),
  ]);
  await Promise.all([
    ...[agent, dmz].flatMap((dir) => [
      addRuntime(dir, node),
      copyFile(join(ROOT, 'LICENSE'), join(dir, 'LICENSE')),
      mkdir(join(dir, 'bin')),
    ]),
    copyFile(join(ROOT, 'examples', 'agent.yaml'), join(agent, 'agent.yaml.example')),
    writeFile(join(agent, 'install.sh'), installScript(true), { mode: 0o755 }),
    writeFile(join(dmz, 'acme-ha-dmz.service'), DMZ_UNIT),
    writeFile(
      join(agent, 'README.txt'),
      `acme-ha agent ${version} for Linux x64 (glibc 2.28 or later), with Node.js ${nodeVersion} in runtime/\n(its licence: runtime/LICENSE): the host needs no Node.js.\n\nAs root: ./install.sh (see agent.yaml.example); ./install.sh --dry-run shows the unit first.\nRun by hand: bin/acme-ha-agent agent sync --config agent.yaml\n`,
    ),
    writeFile(
      join(dmz, 'README.txt'),
      `acme-ha DMZ receiver ${version} for Linux x64 (glibc 2.28 or later), with Node.js ${nodeVersion} in runtime/\n(its licence: runtime/LICENSE): the host needs no Node.js.\n\nAs root: mkdir -p /opt/acme-ha-dmz && cp -R bin runtime lib acme-ha-dmz.mjs /opt/acme-ha-dmz/, the\nconfiguration in /etc/acme-ha-dmz/receiver.yaml (docs/dmz.md), acme-ha-dmz.service in\n/etc/systemd/system/, then systemctl enable --now acme-ha-dmz.\nRun by hand: bin/acme-ha-dmz dmz serve --config receiver.yaml\n`,
    ),
  ]);
  await Promise.all([
    writeFile(join(agent, 'bin', 'acme-ha-agent'), wrapper('acme-ha-agent', `acme-ha agent ${version}`), {
      mode: 0o755,
    }),
    writeFile(join(dmz, 'bin', 'acme-ha-dmz'), wrapper('acme-ha-dmz', `acme-ha DMZ receiver ${version}`), {
      mode: 0o755,
    }),
  ]);
  return Promise.all([archive(out, agentName), archive(out, dmzName)]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  for (const file of [await packageAgent(), ...(await packageSelfContained())])
    process.stdout.write(`${file}\n`);
  process.stderr.write(`packaged in ${Math.round(performance.now() - started)} ms\n`);
}
