/** What a command may touch of its process; tests pass their own. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
}

/**
 * The process's own streams. A stream whose reader went away (see {@link endOutputQuietly}) is no
 * longer writable: what would go to it is dropped.
 */
export const processIo: CliIo = {
  out: (text) => write(process.stdout, text),
  err: (text) => write(process.stderr, text),
  env: process.env,
  now: () => new Date(),
};

function write(stream: NodeJS.WriteStream, text: string): void {
  if (stream.writable) stream.write(text);
}

/**
 * A closed standard output or error — the reader went away: `| head -1`, `| grep -q`, a pager quit
 * early — ends the output, not the command, and is not an error. Node reports it as an `EPIPE`
 * error event on the stream, which would crash the process with a stack trace; here the rest of
 * the output is dropped instead, the command finishes its work (a renewal or a rollout is not cut
 * in half because nobody reads its report) and exits with its own code, saying nothing: 0 for
 * `--help`, `--version` and every command that succeeded. Every executable (the CLI, the agent and
 * DMZ bundles) calls this once before it runs a command.
 */
export function endOutputQuietly(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // Any other write error (a full disk behind a redirect) stays what it was: a crash that says why.
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/** Reads a secret from the environment variable named by `--password-env`. */
export function passwordFromEnv(io: CliIo, variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = io.env[variable];
  if (value === undefined) throw new CliInputError(`environment variable ${variable} is not set`);
  return value;
}

/**
 * Where a command's one-line error on stderr sends the reader for the details it printed on stdout:
 * the JSON object with `--json`, the outcome lines otherwise.
 */
export function whereTheDetailIs(json: boolean | undefined): string {
  return json ? 'see the JSON on stdout' : 'see the lines above';
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
