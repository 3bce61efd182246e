/**
 * The agent's two ways onto a host (issue 22): the bundle that needs the host's Node.js, and the
 * self-contained archive, the same bundle with Node 24 beside it (build/package-agent.ts). Archive
 * and file sizes, and the start-up of `--version` as a whole process: the self-contained programs
 * of the agent and the DMZ receiver; the bundle through its first lines on the build's Node 20;
 * each Node's bare `node -e 0` as the floor. Idle RSS is in the agent-footprint suite, which runs
 * the same programs as `agent run`.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_NODE, packageAgent, packageSelfContained } from '../build/package-agent.ts';
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

const COLD_RUNS = 5;

/** Empties the kernel's page cache (after writing dirty pages back); false where not allowed. */
async function dropPageCache(): Promise<boolean> {
  try {
    await timeCommand('sync', []);
    await writeFile('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

export const selfContained: BenchSuite = {
  id: 'self-contained',
  title: 'The agent without Node.js on the host: the self-contained archive (size, start-up)',
  target:
    'issue 22 sets no figure: size, start-up and idle RSS of what a host without Node.js installs, beside the bundle',
  async run({ quick }) {
    const runs = quick ? 5 : 21;
    const dir = await mkdtemp(join(tmpdir(), 'acme-ha-bench-self-contained-'));
    try {
      const started = performance.now();
      const bundleArchive = await packageAgent(dir);
      const [agentArchive, dmzArchive] = await packageSelfContained(dir);
      const packagingMs = performance.now() - started;
      const node24 = await nodeRuntime(EMBEDDED_NODE);
      const bundleDir = bundleArchive.replace(/\.tar\.gz$/, '');
      const bundle = join(bundleDir, 'acme-ha-agent.mjs');
      const agentDir = agentArchive.replace(/\.tar\.gz$/, '');
      const dmzDir = dmzArchive.replace(/\.tar\.gz$/, '');
      const agent = join(agentDir, 'bin', 'acme-ha-agent');
      const dmz = join(dmzDir, 'bin', 'acme-ha-dmz');
      const cases: {
        label: string;
        command: string;
        args: string[];
        note: string;
      }[] = [
        {
          label: 'self-contained: `bin/acme-ha-agent --version`',
          command: agent,
          args: ['--version'],
          note: `sh wrapper, Node ${RUNTIMES[EMBEDDED_NODE].version} beside it`,
        },
        {
          label: 'self-contained: `bin/acme-ha-dmz --version`',
          command: dmz,
          args: ['--version'],
          note: 'the DMZ receiver, the same way',
        },
        {
          label: 'bundle through its first lines, host Node 20: `acme-ha-agent.mjs --version`',
          command: bundle,
          args: ['--version'],
          note: `${process.version}; sh + node -v + node`,
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
        await timeCommand(c.command, c.args);
        const ms: number[] = [];
        const rss: number[] = [];
        for (let i = 0; i < runs; i++) {
          const r = await timeCommand(c.command, c.args);
          ms.push(r.ms);
          rss.push(r.peakRssKiB / 1024);
        }
        timed.push({ ...c, time: stats(ms), rss: stats(rss) });
      }
      // Cold: the first start after a boot or an upgrade, with nothing of the program in the page
      // cache (dropped before each run; needs root, else the rows say so).
      const cold = [];
      for (const c of cases.slice(0, 3)) {
        const ms: number[] = [];
        const rss: number[] = [];
        for (let i = 0; i < COLD_RUNS && (await dropPageCache()); i++) {
          const r = await timeCommand(c.command, c.args);
          ms.push(r.ms);
          rss.push(r.peakRssKiB / 1024);
        }
        cold.push({
          ...c,
          label: `${c.label}, cold page cache`,
          time: ms.length ? stats(ms) : undefined,
          rss: stats(rss),
        });
      }
      const sizes = {
        bundleArchive: (await stat(bundleArchive)).size,
        bundleFiles: await folderBytes(bundleDir),
        agentArchive: (await stat(agentArchive)).size,
        agentFiles: await folderBytes(agentDir),
        dmzArchive: (await stat(dmzArchive)).size,
        dmzFiles: await folderBytes(dmzDir),
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
          'size: agent self-contained archive (`acme-ha-agent-<v>-linux-x64.tar.gz`)',
          `${mib(sizes.agentArchive)} compressed`,
          `${mib(sizes.agentFiles)} unpacked`,
          `of which Node ${RUNTIMES[EMBEDDED_NODE].version}'s binary: ${mib(sizes.node24)}`,
        ],
        [
          'size: DMZ self-contained archive (`acme-ha-dmz-<v>-linux-x64.tar.gz`)',
          `${mib(sizes.dmzArchive)} compressed`,
          `${mib(sizes.dmzFiles)} unpacked`,
          '',
        ],
      ];
      const agentTime = timed[0]?.time.median ?? Number.NaN;
      const floor24 = timed[4]?.time.median ?? Number.NaN;
      const bundle20 = timed[2]?.time.median ?? Number.NaN;
      return {
        columns: ['case', 'wall time, median (min–max) / size', 'peak RSS / unpacked', 'note'],
        rows: [
          ...timed.map((t) => [t.label, fmt(t.time), fmt(t.rss, 'MiB'), t.note]),
          ...cold.map((t) =>
            t.time
              ? [t.label, fmt(t.time), fmt(t.rss, 'MiB'), t.note]
              : [t.label, 'not measured', '', 'dropping the page cache needs root'],
          ),
          ...sizeRows,
          ['packaging all three archives (`npm run package:agent`)', `${Math.round(packagingMs)} ms`, '', ''],
        ],
        verdict: `The self-contained agent starts \`--version\` in ${agentTime.toFixed(0)} ms (Node 24's bare start: ${floor24.toFixed(0)} ms; the bundle on the host's Node 20: ${bundle20.toFixed(0)} ms), ${cold[0]?.time ? `${cold[0].time.median.toFixed(0)} ms with a cold page cache` : 'cold start not measured (needs root)'}, and weighs ${mib(sizes.agentArchive)} compressed, ${mib(sizes.agentFiles)} unpacked: ${Math.round(sizes.agentArchive / sizes.bundleArchive)}× the bundle's archive, nearly all of it Node itself. consul-template's published sizes could not be read on this machine (no network, no Debian package); none are quoted.`,
        method: `Each archive built by packageAgent() and packageSelfContained() (what \`npm run package:agent\` runs) into a temp directory. Start-up: ${runs} runs of each command after one unmeasured run (warm), and ${COLD_RUNS} runs of the first three each after \`sync\` and \`echo 3 > /proc/sys/vm/drop_caches\` (cold), whole processes under GNU time (wall time from spawn to exit, peak RSS as %M), one after another on an otherwise idle machine. Sizes from stat(2); MiB = 2^20 bytes.`,
        raw: { timed: timed.map(({ label, time, rss }) => ({ label, time, rss })), sizes, packagingMs },
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
