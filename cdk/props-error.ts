/**
 * One error for every problem in a construct's props, so an operator fixes them in one pass
 * instead of one `cdk synth` per mistake (the same rule as the config file: list them all).
 */
export class PropsError extends Error {
  override readonly name = 'PropsError';
  constructor(
    readonly construct: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${construct}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems
        .map((p) => `  - ${p}`)
        .join('\n')}`,
    );
  }
}

/** Throws a PropsError when `problems` is not empty. */
export function assertNoProblems(construct: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new PropsError(construct, problems);
}
