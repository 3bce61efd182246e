/**
 * The dependency rule is enforced by the linter; this proves the rule bites, by linting probe files
 * laid out like the repository in a scratch copy (the real tree is never touched).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');

let scratch: string;

beforeAll(async () => {
  scratch = await tempDir();
  copyFileSync(join(ROOT, 'biome.json'), join(scratch, 'biome.json'));
});

async function lint(path: string, source: string): Promise<string> {
  mkdirSync(join(scratch, path, '..'), { recursive: true });
  writeFileSync(join(scratch, path), source);
  const result = await run(BIOME, ['lint', '--vcs-enabled=false', path], { cwd: scratch }).catch(
    (error: { stdout: string; stderr: string }) => error,
  );
  return `${result.stdout}${result.stderr}`;
}

describe('dependency direction (biome noRestrictedImports)', () => {
  it.each([
    ["import { readFileSync } from 'node:fs';", /core\/ is pure: file I\/O belongs in adapters\//],
    ["import { S3Client } from '@aws-sdk/client-s3';", /core\/ imports no AWS code/],
    ["import { x } from '../adapters/fs/atomic-file.ts';", /Dependencies point inward/],
    ["import acme from 'acme-client';", /Only adapters\/acme\/ may import acme-client/],
  ])('core/ may not %s', async (importLine, message) => {
    const name =
      importLine
        .match(/\{ (\w+) \}|import (\w+)/)
        ?.slice(1)
        .find(Boolean) ?? 'x';
    expect(await lint('core/probe.ts', `${importLine}\n\nexport const y = ${name};\n`)).toMatch(message);
  });

  it('core/ may use node:crypto and other core modules', async () => {
    const output = await lint(
      'core/ok.ts',
      "import { createHash } from 'node:crypto';\n\nexport const y = createHash;\n",
    );
    expect(output).not.toMatch(/noRestrictedImports/);
  });

  it('acme-client is allowed in adapters/acme/ only', async () => {
    const source = "import acme from 'acme-client';\n\nexport const y = acme;\n";
    expect(await lint('agent/probe.ts', source)).toMatch(/Only adapters\/acme\/ may import acme-client/);
    expect(await lint('adapters/acme/probe.ts', source)).not.toMatch(/noRestrictedImports/);
  });
});
