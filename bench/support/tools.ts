/**
 * The other programs the benchmarks compare acme-ha with (lego and certbot, Debian packages), and
 * how to report a tool or a command that would not run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ensureTools, type Tool } from '../../local/prerequisites.ts';
import { CommandFailedError } from '../measure.ts';

const run = promisify(execFile);

export const LEGO: Tool = { command: 'lego', debianPackage: 'lego' };
export const CERTBOT: Tool = { command: 'certbot', debianPackage: 'certbot' };

/** What went wrong, in one line: the message and the last lines the command printed. */
export function failureText(error: unknown): string {
  if (error instanceof CommandFailedError) {
    const tail = `${error.stderr}\n${error.stdout}`
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-2)
      .join(' / ');
    return `${error.message}${tail ? `: ${tail}` : ''}`;
  }
  return error instanceof Error ? `${error.name}: ${error.message.split('\n')[0] ?? ''}` : String(error);
}

/** The Debian package's version, or why there is none. */
export async function packageVersion(name: string): Promise<string> {
  try {
    // "name<TAB>version"
    return (await run('dpkg-query', ['-W', name])).stdout.trim().split('\t')[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** Installs the tool if it can; the reason it could not, or undefined. */
export async function tryEnsure(tool: Tool): Promise<string | undefined> {
  try {
    await ensureTools([tool], (line) => console.log(`bench: ${line}`));
    return undefined;
  } catch (error) {
    return failureText(error);
  }
}
