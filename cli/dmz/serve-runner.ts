/**
 * `acme-ha dmz serve`: the receiver until SIGTERM or SIGINT, JSON logs on stdout. A push in
 * progress when the signal comes is cut off at the HTTP level; its write is an atomic rename, so
 * the files are the old ones or the new ones, and the pusher retries.
 */

import { readConfigFile } from '../../adapters/fs/config-file.ts';
import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { dmzConfigSchema } from '../../core/config/dmz-config.ts';
import { startDmzReceiver } from '../../dmz/compose-receiver.ts';
import type { CliIo } from '../io.ts';

export interface DmzServeFlags {
  config: string;
  verbose?: boolean;
}

export async function serve(flags: DmzServeFlags, io: CliIo): Promise<void> {
  const config = await readConfigFile(flags.config, 'DMZ receiver configuration', dmzConfigSchema);
  const log = new JsonLogger(io.out, 'acme-ha-dmz', flags.verbose ? 'debug' : 'info', { dmz: config.id });
  const runtime = await startDmzReceiver(config, { log, env: io.env });
  log.info('receiver started', {
    url: runtime.receiver.url,
    certificates: runtime.certificates,
    pinnedClients: config.tls.pinnedClients.length,
    responderPort: runtime.responder?.port ?? null,
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      log.info('shutdown requested', { signal });
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await runtime.stop();
  log.info('receiver stopped');
}
