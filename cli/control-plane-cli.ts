/**
 * What the commands that act on the stack share (`renew`, `revoke`, `account rollover`, `plan`): the
 * certificate configuration with the embedded stack's directory override, and the control plane on
 * the stack the environment names.
 */
import { createAwsClients } from '../adapters/aws/aws-clients.ts';
import { readConfigFile } from '../adapters/fs/config-file.ts';
import { readInputFile } from '../adapters/fs/input-file.ts';
import { type AcmeHaConfig, configSchema } from '../core/config/certificate-config.ts';
import type { Logger } from '../core/ports/logger.ts';
import {
  type ControlPlane,
  ControlPlaneEnvironmentError,
  type ControlPlaneSettings,
  createControlPlane,
  settingsFromEnv,
} from '../functions/commons/compose-control-plane.ts';
import { CliInputError, type CliIo } from './io.ts';

/**
 * The configuration file, its default directory replaced by `ACME_HA_ACME_DIRECTORY_URL` when set
 * (the embedded stack's Pebble listens on a new port at every start: `local up` exports it).
 */
export async function readFleetConfig(file: string, io: CliIo): Promise<AcmeHaConfig> {
  const config = await readConfigFile(file, 'configuration', configSchema);
  const directory = io.env.ACME_HA_ACME_DIRECTORY_URL;
  return directory ? { ...config, defaults: { ...config.defaults, directory } } : config;
}

/** The stack's variables are part of how the command is called: one missing is a command-line problem (exit 2). */
function controlPlaneFromEnv(env: NodeJS.ProcessEnv): ControlPlaneSettings {
  try {
    return settingsFromEnv(env);
  } catch (error) {
    if (error instanceof ControlPlaneEnvironmentError)
      throw new CliInputError(error.message, { cause: error });
    throw error;
  }
}

/** Runs `work` with the control plane of the stack the environment names; its clients closed after. */
export async function withControlPlane<T>(
  config: AcmeHaConfig,
  io: CliIo,
  log: Logger,
  work: (plane: ControlPlane) => Promise<T>,
): Promise<T> {
  const settings = controlPlaneFromEnv(io.env);
  const bundle = settings.ACME_HA_CA_BUNDLE;
  const caPem =
    bundle && !bundle.startsWith('-----BEGIN')
      ? (await readInputFile(bundle, 'CA bundle')).toString()
      : bundle;
  const clients = createAwsClients();
  try {
    const plane = createControlPlane({ ...settings, ACME_HA_CA_BUNDLE: caPem }, clients, {
      log,
      clock: { now: io.now },
      env: io.env,
      email: config.account.email,
    });
    return await work(plane);
  } finally {
    clients.destroy();
  }
}
