import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { ensureTools, TOOLS } from './prerequisites.ts';

const run = promisify(execFile);

/**
 * Compiles one Java source file once per version of its text (javac once beats `java File.java`,
 * which compiles at every start) into a cache directory; returns the class path. Concurrent callers
 * race harmlessly: the loser's classes are as good as the winner's.
 */
export async function compileJavaSource(sourceFile: string): Promise<string> {
  const source = await readFile(sourceFile);
  const className = basename(sourceFile, '.java');
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `acme-ha-java-${className}-${digest}`);
  if (await stat(join(dir, `${className}.class`)).catch(() => null)) return dir;
  await ensureTools([TOOLS.java, TOOLS.javac]);
  const staging = `${dir}.${process.pid}`;
  await mkdir(staging, { recursive: true });
  await run('javac', ['-d', staging, sourceFile]);
  await rename(staging, dir).catch(() => rm(staging, { recursive: true, force: true }));
  return dir;
}
