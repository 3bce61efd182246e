/** What a command may touch of its process; tests pass their own. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  now: () => new Date(),
};

/** Reads a secret from the environment variable named by `--password-env`. */
export function passwordFromEnv(io: CliIo, variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = io.env[variable];
  if (value === undefined) throw new CliInputError(`environment variable ${variable} is not set`);
  return value;
}

/** Ends a command with a chosen exit code and one line on stderr. */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A command-line value that is well-formed for the parser but unusable. */
export class CliInputError extends Error {
  override readonly name = 'CliInputError';
}
