/**
 * `npm run package:agent`: the installable artifacts for hosts with no npm registry and no build
 * tools, in dist/:
 * - `acme-ha-agent-<version>.tar.gz`, for nodes that have Node.js (20 or later): the agent bundle of
 *   build/build.ts (the `agent` and `status` commands; no ACME client, no embedded stack, no tsx:
 *   `acme-ha-agent.mjs` and its chunks in `lib/`) with source maps, the example configuration, an
 *   install script and a README;
 * - `acme-ha-agent-<version>-linux-x64.tar.gz` and `acme-ha-dmz-<version>-linux-x64.tar.gz`, for
 *   hosts without Node.js: the agent, and the DMZ receiver, each as one executable file, a Node
 *   single executable application (SEA) of the pinned Node 24 (build/runtimes.ts). Why a SEA rather
 *   than the bundle beside its runtime, and what each costs: docs/design/2026-12-05-single-executable.md.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildTarget, DIST, LAUNCHER, ROOT, singleFileBundle, TARGETS, type Target } from './build.ts';
import { nodeRuntime, RUNTIMES, type RuntimeMajor } from './runtimes.ts';

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

async function packageVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function target(name: 'agent' | 'dmz'): Target {
  const found = TARGETS.find((t) => t.name === name);
  if (!found) throw new Error(`build/build.ts has no ${name} target`);
  return found;
}

/** An empty folder `out/name` for an archive's contents. */
async function freshDir(out: string, name: string): Promise<string> {
  const dir = join(out, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

/** `out/<name>.tar.gz` of the folder `out/<name>`. */
async function archive(out: string, name: string): Promise<string> {
  const file = join(out, `${name}.tar.gz`);
  await run('tar', ['-czf', file, '-C', out, name]);
  return file;
}

export async function packageAgent(out = DIST): Promise<string> {
  const version = await packageVersion();
  const name = `acme-ha-agent-${version}`;
  const dir = await freshDir(out, name);
  // The agent bundle as `npm run build` makes it (see build/build.ts for its settings).
  const agent = target('agent');
  await buildTarget({ ...agent, options: { ...agent.options, outdir: dir } });
  await copyFile(join(ROOT, 'examples', 'agent.yaml'), join(dir, 'agent.yaml.example'));
  await writeFile(join(dir, 'install.sh'), INSTALL_SH, { mode: 0o755 });
  await writeFile(
    join(dir, 'README.txt'),
    `acme-ha agent ${version}\n\nNeeds Node.js >= 20. As root: ./install.sh (see agent.yaml.example).\nRun by hand: ./acme-ha-agent.mjs agent sync --config agent.yaml (it needs lib/ beside it)\n\nThe installed service runs the file itself, so its first line starts Node with the settings that\nkeep the idle agent small (\`node acme-ha-agent.mjs\` runs without them):\n${LAUNCHER}\n\nStack traces name the TypeScript sources with NODE_OPTIONS=--enable-source-maps (the .map files).\n`,
  );
  return archive(out, name);
}

/** The Node.js line the single executables embed: the newest LTS line build/runtimes.ts pins. */
export const EMBEDDED_NODE: RuntimeMajor = 24;

/** The fuse in Node's binary that says whether it carries a SEA blob (Node's SEA documentation). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** The injector Node's SEA documentation uses. */
const POSTJECT = join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');

/**
 * The launcher's V8 flags (build/build.ts, LAUNCHER), as the executable's own: Node 24 has no
 * `--expose-wasm` to turn off. glibc's `MALLOC_TRIM_THRESHOLD_` is an environment variable, which
 * the systemd unit sets (agent/install/systemd-unit.ts).
 */
const SEA_EXEC_ARGV = ['--max-semi-space-size=1', '--jitless'];

/**
 * One self-contained program at `file`: the process bundle as one CommonJS script (build/build.ts,
 * singleFileBundle), turned into a SEA blob by the embedded Node itself (the blob's format is
 * tied to the binary's version), injected into a copy of that binary with its symbols stripped
 * (127 → 109 MB; strip runs before the injection, which it would otherwise undo).
 */
async function singleExecutable(bundle: Target, file: string, node: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'acme-ha-sea-'));
  try {
    const script = join(work, 'main.cjs');
    await buildTarget(singleFileBundle(bundle, script));
    const blob = join(work, 'sea.blob');
    const config = join(work, 'sea-config.json');
    await writeFile(
      config,
      JSON.stringify({
        main: script,
        output: blob,
        disableExperimentalSEAWarning: true,
        useSnapshot: false,
        useCodeCache: false,
        execArgv: SEA_EXEC_ARGV,
      }),
    );
    await run(node, ['--experimental-sea-config', config], { cwd: work });
    await run('strip', ['--strip-all', node, '-o', file]).catch((error: { code?: string }) => {
      throw error.code === 'ENOENT'
        ? new Error('strip (binutils) is needed to build the single executables')
        : error;
    });
    // postject's own CLI in a child: what it prints (LIEF's warnings about Node's many ELF notes,
    // harmless) stays out of the build's output unless it fails.
    await run(process.execPath, [POSTJECT, file, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
    await chmod(file, 0o755);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const SEA_INSTALL_SH = `#!/bin/sh
# Installs the acme-ha agent, one executable that needs no Node.js, as /opt/acme-ha/bin/acme-ha-agent,
# a config in /etc/acme-ha, then the hardened systemd unit and its user through
# \`acme-ha-agent agent install\` (arguments go to it: --dry-run prints what it would do).
# DESTDIR puts the files under another root (the unit still names /opt/acme-ha/bin/acme-ha-agent).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=\${DESTDIR-}
[ -n "$root" ] || [ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
install -d -m 0755 "$root/opt/acme-ha/bin"
# install(1) replaces the file (a new inode): an agent still running keeps the old one until it restarts.
install -m 0755 "$here/acme-ha-agent" "$root/opt/acme-ha/bin/acme-ha-agent"
install -d -m 0750 "$root/etc/acme-ha"
if [ ! -f "$root/etc/acme-ha/agent.yaml" ]; then
  install -m 0640 "$here/agent.yaml.example" "$root/etc/acme-ha/agent.yaml.example"
  echo "install.sh: edit $root/etc/acme-ha/agent.yaml.example, save it as $root/etc/acme-ha/agent.yaml, run me again" >&2
  exit 2
fi
exec "$root/opt/acme-ha/bin/acme-ha-agent" agent install --config "$root/etc/acme-ha/agent.yaml" --bin /opt/acme-ha/bin/acme-ha-agent "$@"
`;

/** A unit for the DMZ receiver (it installs no unit of its own): copied by hand, see docs/dmz.md. */
const DMZ_UNIT = `[Unit]
Description=acme-ha DMZ receiver
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/opt/acme-ha/bin/acme-ha-dmz dmz serve --config /etc/acme-ha-dmz/receiver.yaml
EnvironmentFile=-/etc/acme-ha-dmz/receiver.env
Environment=MALLOC_TRIM_THRESHOLD_=131072
Restart=on-failure
RestartSec=5
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full
ProtectHome=yes

[Install]
WantedBy=multi-user.target
`;

/** What each single-executable archive says about itself and the Node.js inside. */
function seaReadme(program: string, version: string, body: string): string {
  const node = RUNTIMES[EMBEDDED_NODE].version;
  return `acme-ha ${program} ${version} for Linux x64 (glibc 2.28 or later)\n\nOne executable, Node.js ${node} inside (its licence: LICENSE.node): the host needs no Node.js.\n${body}\nIt starts Node with --max-semi-space-size=1 --jitless, which keep the idle process small; set\nMALLOC_TRIM_THRESHOLD_=131072 in its environment for the same reason (the units do).\n`;
}

/**
 * The single-executable archives: the agent (with its install script) and the DMZ receiver (with a
 * unit), each beside Node's licence. Returns the archives' paths, agent first.
 */
export async function packageExecutables(out = DIST): Promise<[string, string]> {
  const version = await packageVersion();
  const node = await nodeRuntime(EMBEDDED_NODE);
  const licence = join(node, '..', '..', 'LICENSE');
  const agentName = `acme-ha-agent-${version}-linux-x64`;
  const dmzName = `acme-ha-dmz-${version}-linux-x64`;
  const [agentDir, dmzDir] = await Promise.all([freshDir(out, agentName), freshDir(out, dmzName)]);
  await Promise.all([
    singleExecutable(target('agent'), join(agentDir, 'acme-ha-agent'), node),
    singleExecutable(target('dmz'), join(dmzDir, 'acme-ha-dmz'), node),
    ...[agentDir, dmzDir].flatMap((dir) => [
      copyFile(licence, join(dir, 'LICENSE.node')),
      copyFile(join(ROOT, 'LICENSE'), join(dir, 'LICENSE')),
    ]),
    copyFile(join(ROOT, 'examples', 'agent.yaml'), join(agentDir, 'agent.yaml.example')),
    writeFile(join(agentDir, 'install.sh'), SEA_INSTALL_SH, { mode: 0o755 }),
    writeFile(
      join(agentDir, 'README.txt'),
      seaReadme(
        'agent',
        version,
        'As root: ./install.sh (see agent.yaml.example); ./install.sh --dry-run shows the unit first.\nRun by hand: ./acme-ha-agent agent sync --config agent.yaml\n',
      ),
    ),
    writeFile(join(dmzDir, 'acme-ha-dmz.service'), DMZ_UNIT),
    writeFile(
      join(dmzDir, 'README.txt'),
      seaReadme(
        'DMZ receiver',
        version,
        'As root: install -D -m 0755 acme-ha-dmz /opt/acme-ha/bin/acme-ha-dmz, the config in\n/etc/acme-ha-dmz/receiver.yaml (docs/dmz.md), acme-ha-dmz.service in /etc/systemd/system, then\nsystemctl enable --now acme-ha-dmz. Run by hand: ./acme-ha-dmz dmz serve --config receiver.yaml\n',
      ),
    ),
  ]);
  return Promise.all([archive(out, agentName), archive(out, dmzName)]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  for (const file of [await packageAgent(), ...(await packageExecutables())])
    process.stdout.write(`${file}\n`);
  process.stderr.write(`packaged in ${Math.round(performance.now() - started)} ms\n`);
}
