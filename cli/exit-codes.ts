/** Exit codes of the `acme-ha` command, documented in the README. */
export const EXIT = {
  /** Done as asked. */
  OK: 0,
  /** An unexpected failure (a bug, or the environment); the message says what. */
  FAILURE: 1,
  /**
   * The command line itself is wrong: unknown command or option, missing argument, or an
   * environment variable it relies on unset or malformed (a `--password-env` or `{ env: VAR }`
   * secret, the stack's `ACME_HA_*` variables).
   */
  USAGE: 2,
  /** The input was rejected (a file, a password, a configuration); nothing was changed. */
  INVALID_INPUT: 3,
  /** The command ran, but part of its work failed (a renewal, a node); the output says which. */
  WORK_FAILED: 4,
  /** `agent sync`: nothing failed here, but the node is not on the desired revision (rollout halted, no slot). */
  NOT_CONVERGED: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
