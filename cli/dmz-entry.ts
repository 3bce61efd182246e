/**
 * Entry point of the self-contained DMZ receiver bundle (esbuild, dist/dmz/): only `acme-ha dmz`, so the bundle —
 * and the receiver's module graph — carries no AWS SDK and no ACME client.
 * test/integration/module-graphs.test.ts bundles this file and checks exactly that.
 */
import { dmzCommand } from './dmz/dmz-command.ts';
import { endOutputQuietly, processIo } from './io.ts';
import { program, runCli } from './shell.ts';

endOutputQuietly();
process.exitCode = await runCli(
  program('acme-ha DMZ receiver', [dmzCommand], processIo),
  process.argv.slice(2),
  processIo,
);
