import type { LineChart } from './svg-chart.ts';

/** One benchmark section of docs/benchmarks.md. */
export interface BenchSuite {
  readonly id: string;
  readonly title: string;
  /** The target from the issue that asked for it, stated beside the figures. */
  readonly target: string;
  run(options: { quick: boolean }): Promise<SuiteResult>;
  /** A chart drawn from the suite's raw figures (also when re-rendering saved results). */
  chart?(raw: unknown): LineChart | null;
}

export interface SuiteResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Whether the target is met, and the gap, in one honest sentence. */
  readonly verdict: string;
  readonly method: string;
  readonly raw: unknown;
}
