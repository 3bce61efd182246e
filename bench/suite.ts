/** One benchmark section of docs/benchmarks.md. */
export interface BenchSuite {
  readonly id: string;
  readonly title: string;
  /** The target from the issue that asked for it, stated beside the figures. */
  readonly target: string;
  run(options: { quick: boolean }): Promise<SuiteResult>;
}

export interface SuiteResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Whether the target is met, and the gap, in one honest sentence. */
  readonly verdict: string;
  readonly method: string;
  readonly raw: unknown;
}
