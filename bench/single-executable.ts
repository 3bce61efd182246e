/**
 * The agent's two ways onto a host (issue 22): the bundle that needs the host's Node.js, and the
 * single executable with Node 24 inside (build/package-agent.ts). Archive and file sizes, and the
 * start-up of `--version` as a whole process: the single executable; the bundle through its first
 * line on the build's Node 20 and on the pinned Node 24 (the "bundle beside its own runtime"
 * alternative); each Node's bare `node -e 0` as the floor. Idle RSS is in the agent-footprint suite,
 * which runs the same programs as `agent run`.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EMBEDDED_NODE, packageAgent, packageExecutables } from '../build/package-agent.ts';
import { nodeRuntime, RUNTIMES } from '../build/runtimes.ts';
import { fmt, stats, timeCommand } from './measure.ts';
import type { BenchSuite } from './suite.ts';

const MIB = 2 ** 20;

async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const sizes = await Promise.all(
    entries.filter((e) => e.isFile()).map(async (e) => (await stat(join(e.parentPath, e.name))).size),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

export const singleExecutable: BenchSuite = {
  id: 'single-executable',
  title: 'The agent without Node.js on the host: single executable vs bundle (size, start-up)',
  target:
    'issue 22 sets no figure: measure size, start-up and idle RSS of the single executable beside the bundle, to choose',
  async run({ quick }) {
    const runs = quick ? 5 : 21;
    const dir = await mkdtemp(join(tmpdir(), 'acme-ha-bench-sea-'));
    try {
      const started = performance.now();
      const bundleArchive = await packageAgent(dir);
      const [agentArchive, dmzArchive] = await packageExecutables(dir);
      const packagingMs = performance.now() - started;
      const node24 = await nodeRuntime(EMBEDDED_NODE);
      const bundleDir = bundleArchive.replace(/\.tar\.gz$/, '');
      const bundle = join(bundleDir, 'acme-ha-agent.mjs');
      const sea = join(agentArchive.replace(/\.tar\.gz$/, ''), 'acme-ha-agent');
      const seaDmz = join(dmzArchive.replace(/\.tar\.gz$/, ''), 'acme-ha-dmz');
      const on24 = { PATH: `${dirname(node24)}:${process.env.PATH ?? ''}` };
      const cases: {
        label: string;
        command: string;
        args: string[];
        env?: NodeJS.ProcessEnv;
        note: string;
      }[] = [
        {
          label: 'single executable: `acme-ha-agent --version`',
          command: sea,
          args: ['--version'],
          note: `Node ${RUNTIMES[EMBEDDED_NODE].version} inside, --jitless from its SEA config`,
        },
        {
          label: 'single executable: `acme-ha-dmz --version`',
          command: seaDmz,
          args: ['--version'],
          note: 'the DMZ receiver, the same way',
        },
        {
          label: 'bundle through its first line, host Node 20: `acme-ha-agent.mjs --version`',
          command: bundle,
          args: ['--version'],
          note: `${process.version}; sh + node -v + node`,
        },
        {
          label: 'bundle through its first line, Node 24 first on PATH (the runtime-beside alternative)',
          command: bundle,
          args: ['--version'],
          env: on24,
          note: `v${RUNTIMES[EMBEDDED_NODE].version}`,
        },
        {
          label: 'floor: `node -e 0`, Node 20',
          command: process.execPath,
          args: ['-e', '0'],
          note: process.version,
        },
        {
          label: 'floor: `node -e 0`, Node 24',
          command: node24,
          args: ['-e', '0'],
          note: `v${RUNTIMES[EMBEDDED_NODE].version}`,
        },
      ];
      const timed = [];
      for (const c of cases) {
        // One unmeasured run: the page cache, not the program, is what a first run measures.
        await timeCommand(c.command, c.args, c.env);
        const ms: number[] = [];
        const rss: number[] = [];
        for (let i = 0; i < runs; i++) {
          const r = await timeCommand(c.command, c.args, c.env);
          ms.push(r.ms);
          rss.push(r.peakRssKiB / 1024);
        }
        timed.push({ ...c, time: stats(ms), rss: stats(rss) });
      }
      const sizes = {
        bundleArchive: (await stat(bundleArchive)).size,
        bundleFiles: await folderBytes(bundleDir),
        agentArchive: (await stat(agentArchive)).size,
        agentExecutable: (await stat(sea)).size,
        dmzArchive: (await stat(dmzArchive)).size,
        dmzExecutable: (await stat(seaDmz)).size,
        node24: (await stat(node24)).size,
      };
      const sizeRows = [
        [
          'size: bundle archive (`acme-ha-agent-<v>.tar.gz`), needs Node.js on the host',
          `${mib(sizes.bundleArchive)} compressed`,
          `${mib(sizes.bundleFiles)} unpacked (entry, lib/ chunks, maps, install script)`,
          '',
        ],
        [
          'size: agent single-executable archive (`acme-ha-agent-<v>-linux-x64.tar.gz`)',
          `${mib(sizes.agentArchive)} compressed`,
          `${mib(sizes.agentExecutable)} executable`,
          `Node ${RUNTIMES[EMBEDDED_NODE].version}'s binary is ${mib(sizes.node24)} before strip`,
        ],
        [
          'size: DMZ single-executable archive (`acme-ha-dmz-<v>-linux-x64.tar.gz`)',
          `${mib(sizes.dmzArchive)} compressed`,
          `${mib(sizes.dmzExecutable)} executable`,
          '',
        ],
      ];
      const seaTime = timed[0]?.time.median ?? Number.NaN;
      const floor24 = timed[5]?.time.median ?? Number.NaN;
      const bundle20 = timed[2]?.time.median ?? Number.NaN;
      return {
        columns: ['case', 'wall time, median (min–max) / size', 'peak RSS / unpacked', 'note'],
        rows: [
          ...timed.map((t) => [t.label, fmt(t.time), fmt(t.rss, 'MiB'), t.note]),
          ...sizeRows,
          ['packaging all three archives (`npm run package:agent`)', `${Math.round(packagingMs)} ms`, '', ''],
        ],
        verdict: `The single executable starts \`--version\` in ${seaTime.toFixed(0)} ms (Node 24's bare start: ${floor24.toFixed(0)} ms; the bundle on the host's Node 20: ${bundle20.toFixed(0)} ms) and weighs ${mib(sizes.agentArchive)} compressed, ${mib(sizes.agentExecutable)} on disk: ${Math.round(sizes.agentArchive / sizes.bundleArchive)}× the bundle's archive, all of it Node itself. consul-template's published sizes could not be read on this machine (no network, no Debian package); none are quoted.`,
        method: `Each archive built by packageAgent() and packageExecutables() (what \`npm run package:agent\` runs) into a temp directory. Start-up: ${runs} runs of each command after one unmeasured run, whole processes under GNU time (wall time from spawn to exit, peak RSS as %M), one after another on an otherwise idle machine. Sizes from stat(2); MiB = 2^20 bytes.`,
        raw: { timed: timed.map(({ label, time, rss }) => ({ label, time, rss })), sizes, packagingMs },
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
