/**
 * Promise: no half-written keystore, ever. A child process replaces a JKS keystore through the
 * agent's real file sink and is killed with SIGKILL at a seeded random instant inside the write
 * (the window calibrated from measured write times, then widened or narrowed after each batch of
 * runs so that kills keep landing on both sides of the rename: what else the machine is doing
 * changes the write's timing, since fsync waits for the file system's other writes and the
 * killer spins on a core). After every kill the file is byte-equal to the complete
 * old or the complete new keystore and opens with its password; the backup is complete too; what
 * the kill leaves behind is only hidden or `.tmp`-suffixed debris that is never world-readable; and
 * a restart (the same write again) converges on the new bytes.
 *
 * CI: 200 kills (seed 1010). FAULT_LONG=1: 2000 kills. FAULT_SEED=<n> replays a reported seed.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeystoreFileSink } from '../../adapters/fs/keystore-file-sink.ts';
import { openKeystore } from '../../core/keystore/keystore.ts';
import { aServerPki, jksOf } from '../support/agent-keystores.ts';
import { bundleChild, startChild } from '../support/fault-child.ts';
import { faultLong, faultSeed, seededRandom, spinMicroseconds } from '../support/fault-random.ts';
import { tempDir } from '../support/temp-dir.ts';

const PASSWORD = 'changeit';
const RUNS = faultLong() ? 2000 : 200;
const SEED = faultSeed(1010);
/** Runs between two adjustments of the kill window. */
const BATCH = 25;

let base: string;
let bundle: string;
let oldBytes: Buffer;
let newBytes: Buffer;
let newFile: string;

beforeAll(async () => {
  base = await tempDir('acme-ha-fault-kill-');
  bundle = await bundleChild(
    new URL('./support/sink-write-child.ts', import.meta.url).pathname,
    base,
    'sink',
  );
  oldBytes = jksOf(await aServerPki(), PASSWORD);
  newBytes = jksOf(await aServerPki(), PASSWORD);
  newFile = join(base, 'new.jks');
  await writeFile(newFile, newBytes);
});

afterAll(() => {
  // Figures for docs/reliability.md land in the test output.
});

type Stage = 'before-backup' | 'backup-taken' | 'temp-written' | 'renamed';

interface RunResult {
  readonly stage: Stage;
  readonly debris: readonly string[];
}

async function oneRun(dir: string, delayUs: number | null): Promise<RunResult & { writeUs?: number }> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'server.jks');
  await writeFile(path, oldBytes, { mode: 0o600 });
  const child = startChild(bundle, [path, newFile, '600']);
  try {
    await child.waitForLine(/^ready$/, 10_000);
    child.process.stdin?.write('go\n');
    if (delayUs === null) {
      const done = await child.waitForLine(/^done /, 10_000);
      return { stage: 'renamed', debris: [], writeUs: Number(done.slice(5)) };
    }
    spinMicroseconds(delayUs);
  } finally {
    await child.kill();
  }
  const bytes = await readFile(path);
  const isOld = bytes.equals(oldBytes);
  const isNew = bytes.equals(newBytes);
  // The complete old or the complete new keystore, and it opens with its password.
  expect(isOld || isNew, `${path} is neither the old nor the new keystore (${bytes.length} bytes)`).toBe(
    true,
  );
  expect(openKeystore(bytes, PASSWORD, path).privateKey).not.toBeNull();
  expect((await stat(path)).mode & 0o777).toBe(0o600);

  const names = (await readdir(dir)).filter((n) => n !== 'server.jks');
  const backup = names.includes('server.jks.previous');
  if (backup) {
    const previous = await readFile(join(dir, 'server.jks.previous'));
    expect(previous.equals(oldBytes) || previous.equals(newBytes)).toBe(true);
  }
  const debris = names.filter((n) => n !== 'server.jks.previous');
  for (const name of debris) {
    // What a kill leaves: the hidden temp file of writeFileAtomic, or the link made for the backup.
    expect(name).toMatch(/^(\.server\.jks\.[0-9a-f]{12}\.tmp|server\.jks\.previous\.[0-9a-f]{12}\.tmp)$/);
    expect((await stat(join(dir, name))).mode & 0o007, `${name} is world-accessible`).toBe(0);
  }
  const stage: Stage = isNew
    ? 'renamed'
    : debris.some((n) => n.startsWith('.'))
      ? 'temp-written'
      : backup
        ? 'backup-taken'
        : 'before-backup';

  // Restart: the agent writes the revision again and converges on the new bytes.
  await new KeystoreFileSink().write({ path, bytes: newBytes, mode: 0o600 });
  expect((await readFile(path)).equals(newBytes)).toBe(true);
  // …and removes whatever temp files the kill left (they may hold key material).
  expect(
    (await readdir(dir)).filter((n) => n.endsWith('.tmp')),
    (await readdir(dir)).join(' '),
  ).toEqual([]);
  return { stage, debris };
}

describe('kill -9 during a keystore write', () => {
  it(`leaves the complete old or new keystore after each of ${RUNS} kills (seed ${SEED})`, async () => {
    const started = performance.now();
    // Calibrate: how long the write takes from "go" to "done" on this machine right now.
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { writeUs } = await oneRun(join(base, `calibrate-${i}`), null);
      samples.push(writeUs ?? 0);
    }
    samples.sort((a, b) => a - b);
    let windowUs = Math.max(500, Math.round((samples[samples.length - 1] ?? 2000) * 1.5));
    const windows: number[] = [];
    const random = seededRandom(SEED);
    const stages = new Map<Stage, number>();
    let debrisRuns = 0;
    for (let first = 0; first < RUNS; first += BATCH) {
      windows.push(windowUs);
      let renamed = 0;
      const last = Math.min(RUNS, first + BATCH);
      for (let i = first; i < last; i++) {
        const delayUs = Math.round(random() * windowUs);
        const dir = join(base, `run-${i}`);
        const result = await oneRun(dir, delayUs).catch((error: unknown) => {
          throw new Error(`run ${i} (seed ${SEED}, delay ${delayUs} µs): ${(error as Error).message}`);
        });
        stages.set(result.stage, (stages.get(result.stage) ?? 0) + 1);
        if (result.stage === 'renamed') renamed++;
        if (result.debris.length > 0) debrisRuns++;
        await rm(dir, { recursive: true, force: true });
      }
      // Keep about a fifth to a half of the kills after the rename, whatever the machine's load.
      const share = renamed / (last - first);
      if (share < 0.2) windowUs = Math.round(windowUs * 1.5);
      else if (share > 0.5) windowUs = Math.max(500, Math.round(windowUs * 0.75));
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `[fault] kill -9 keystore write: ${RUNS} runs, seed ${SEED}, write ${samples[0]}–${samples.at(-1)} µs, ` +
        `kill windows 0–${windows.join('/')} µs per ${BATCH} runs, stages ${JSON.stringify(Object.fromEntries(stages))}, ` +
        `runs leaving debris ${debrisRuns}, ${seconds} s`,
    );
    // The kills must land both before and after the rename, or the window proves nothing.
    expect(stages.get('renamed') ?? 0).toBeGreaterThan(RUNS * 0.05);
    expect(RUNS - (stages.get('renamed') ?? 0)).toBeGreaterThan(RUNS * 0.05);
  }, 600_000);
});
