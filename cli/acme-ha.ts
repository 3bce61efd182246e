/** The `acme-ha` executable: bin/acme-ha.js runs its build (dist/cli/acme-ha.mjs). */
import { endOutputQuietly, processIo } from './io.ts';
import { main } from './main.ts';

// The AWS SDK warns on every start that its 2027 releases will need Node 22; we pin a version that
// supports the Node 20 we run on, so the warning is noise for operators.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
endOutputQuietly();
process.exitCode = await main(process.argv.slice(2), processIo);
