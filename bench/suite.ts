import type { LineChart } from './svg-chart.ts';

/** One benchmark section of docs/benchmarks.md. */
export interface BenchSuite {
  readonly id: string;
  readonly title: string;
  /** The target from the issue that asked for it, stated beside the figures. */
  readonly target: string;
  /** `measured`: what the other suites measured, this run's results over the saved ones. */
  run(options: { quick: boolean; measured: Readonly<Record<string, SuiteResult>> }): Promise<SuiteResult>;
  /** A chart drawn from the suite's raw figures (also when re-rendering saved results). */
  chart?(raw: unknown): LineChart | null;
}

/** A table of its own under the suite's main one. */
export interface SuiteTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface SuiteResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Further tables, each under its own title, after the main one. */
  readonly tables?: readonly SuiteTable[];
  /** Whether the target is met, and the gap, in one honest sentence. */
  readonly verdict: string;
  readonly method: string;
  readonly raw: unknown;
}
