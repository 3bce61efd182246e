import { openKeystore } from '../../core/keystore/keystore.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { importCertificate } from '../../core/renewal/import-certificate.ts';
import { readFleetConfig, withControlPlane } from '../control-plane-cli.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, type CliIo, passwordFromEnv } from '../io.ts';
import { readKeystore } from '../keystore/keystore-runner.ts';
import { requireEnvSecrets } from '../renew/renew-runner.ts';

export interface ImportFlags {
  config: string;
  certificate: string;
  keystore: string;
  passwordEnv?: string;
  keyPasswordEnv?: string;
  json?: boolean;
}

/** `acme-ha import`: the keystore checked and published as revision 1 of the certificate. */
export async function importKeystore(flags: ImportFlags, io: CliIo): Promise<void> {
  const config = await readFleetConfig(flags.config, io);
  const cert = config.certificates.find((c) => c.id === flags.certificate);
  if (!cert) throw new CliExit(EXIT.INVALID_INPUT, `no certificate ${flags.certificate} in ${flags.config}`);
  const opened = openKeystore(
    await readKeystore(flags.keystore),
    passwordFromEnv(io, flags.passwordEnv),
    flags.keystore,
    passwordFromEnv(io, flags.keyPasswordEnv),
  );
  if (!opened.privateKey)
    throw new CliExit(EXIT.INVALID_INPUT, `${flags.keystore} holds no private key: import needs the key too`);
  const material = { privateKey: opened.privateKey, chain: opened.chain };
  const revision = await withControlPlane(config, io, silentLogger, (plane) => {
    // The configured keystores' passwords, to build them (after the stack's variables, checked first).
    requireEnvSecrets([cert], io.env, flags.config);
    return importCertificate(config, cert, material, plane);
  });
  if (flags.json) io.out(`${JSON.stringify(revision)}\n`);
  else
    io.out(
      `${cert.id}: imported as revision ${revision.revision} (serial ${revision.serial}, valid until ${revision.notAfter}); the agents install it now\n`,
    );
}
