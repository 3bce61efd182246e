#!/usr/bin/env node
// The published entry point: runs the TypeScript sources through tsx so that `npx acme-ha` works
// right after `npm ci`, with no build step. Nodes without npm use the bundled agent archive instead.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every start that its 2027 releases will need Node 22; we pin a version that
// supports the Node 20 we run on, so the warning is noise for operators.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
