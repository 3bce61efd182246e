#!/usr/bin/env node
// The installed entry point: the CLI as `npm run build` made it (dist/cli/, built by `npm ci` in a
// clone through `prepare`, shipped built in the package). Stack traces name the .ts lines.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli/acme-ha.mjs', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('acme-ha: dist/cli/acme-ha.mjs is missing: run `npm run build` (npm ci does)\n');
  process.exit(1);
}
process.setSourceMapsEnabled(true);
await import(cli.href);
