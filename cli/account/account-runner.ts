import { NoAcmeAccountError } from '../../core/errors.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { readFleetConfig, withControlPlane } from '../control-plane-cli.ts';
import type { CliIo } from '../io.ts';

export interface RolloverFlags {
  config: string;
  json?: boolean;
}

/** `acme-ha account rollover`: a new key for the renewer's account at every CA the configuration uses. */
export async function rollover(flags: RolloverFlags, io: CliIo): Promise<void> {
  const config = await readFleetConfig(flags.config, io);
  const directories = [
    ...new Set(
      config.certificates.flatMap((c) => [
        c.directory ?? config.defaults.directory,
        ...c.fallbacks.map((f) => f.directory),
      ]),
    ),
  ];
  await withControlPlane(config, io, silentLogger, async (plane) => {
    const accounts: { directory: string; result: 'rolled-over' | 'no-account'; url: string | null }[] = [];
    for (const directory of directories) {
      try {
        const { url } = await plane.accountAdmin.rolloverKey(directory);
        accounts.push({ directory, result: 'rolled-over', url });
      } catch (error) {
        if (!(error instanceof NoAcmeAccountError)) throw error;
        accounts.push({ directory, result: 'no-account', url: null });
      }
    }
    if (flags.json) io.out(`${JSON.stringify({ accounts })}\n`);
    else
      for (const a of accounts)
        io.out(
          a.result === 'rolled-over'
            ? `${a.directory}: new account key (account ${a.url})\n`
            : `${a.directory}: no account yet (never ordered from), nothing to roll over\n`,
        );
  });
}
