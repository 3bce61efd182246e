/**
 * `npx tsx bench/stack-start.ts [runs]`: starts and stops the whole embedded stack (Pebble
 * included, one node queue pair) `runs` times (default 5) after one unmeasured warm-up, and prints
 * one JSON object: median/min/max start and stop times, and the median time of each component.
 * Target (issue 3): the stack is up in under 2 s.
 */
import { type StackProgress, startLocalStack } from '../local/stack.ts';
import { stats } from './measure.ts';

interface Sample {
  readonly startMs: number;
  readonly stopMs: number;
  readonly components: Record<string, number>;
}

async function once(): Promise<Sample> {
  const components: Record<string, number> = {};
  const onProgress = (event: StackProgress) => {
    if (event.phase === 'ready' && event.ms !== undefined) components[event.component] = event.ms;
  };
  const started = performance.now();
  const stack = await startLocalStack({ nodes: ['node-1'], onProgress });
  const startMs = performance.now() - started;
  const stopping = performance.now();
  await stack.stop();
  return { startMs, stopMs: performance.now() - stopping, components };
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  // The first start pays for module loading and the one-time checks (ensureTools).
  await once();
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  const round = (n: number) => Math.round(n);
  const start = stats(samples.map((s) => s.startMs));
  const stop = stats(samples.map((s) => s.stopMs));
  const componentNames = Object.keys(samples[0]?.components ?? {}).sort();
  console.log(
    JSON.stringify({
      runs,
      startMs: { median: round(start.median), min: round(start.min), max: round(start.max) },
      stopMs: { median: round(stop.median), min: round(stop.min), max: round(stop.max) },
      componentMedianMs: Object.fromEntries(
        componentNames.map((c) => [c, round(stats(samples.map((s) => s.components[c] ?? 0)).median)]),
      ),
      targetMs: 2000,
      met: start.median < 2000,
    }),
  );
}

await main();
