/**
 * `npm run lint:layout`: writes the import rules of build/layout.ts into biome.json (its
 * `overrides`, which hold nothing else). The architecture test fails while they are stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lintOverrides, partDepths } from './layout.ts';

const root = join(import.meta.dirname, '..');
const path = join(root, 'biome.json');
const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
const overrides = lintOverrides(partDepths(root));
await writeFile(path, `${JSON.stringify({ ...config, overrides }, null, 2)}\n`);
process.stdout.write(`${path}: ${overrides.length} import rules\n`);
