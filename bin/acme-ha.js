#!/usr/bin/env node
// The published entry point: runs the TypeScript sources through tsx so that `npx acme-ha` works
// right after `npm ci`, with no build step. Nodes without npm use the bundled agent archive instead.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../agent/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
