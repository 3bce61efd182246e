import type { SecretSource } from '../../core/config/certificate-config.ts';
import { SecretUnavailableError } from '../../core/errors.ts';
import type { SecretResolver } from '../../core/ports/secret-resolver.ts';

/**
 * Secrets from environment variables only (for the agent and the DMZ receiver: a systemd
 * `EnvironmentFile` or credential), so whoever uses it loads no Secrets Manager or SSM client.
 * Errors name the variable, never a value.
 */
export class EnvSecretResolver implements SecretResolver {
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async resolve(source: SecretSource): Promise<string> {
    if (!('env' in source))
      throw new SecretUnavailableError(
        'keystore passwords are read from environment variables only here (no Secrets Manager or SSM client)',
      );
    const value = this.env[source.env];
    if (!value) throw new UnsetSecretVariableError(source.env);
    return value;
  }
}

/**
 * The environment variable that should hold a secret is unset or empty: a mistake in how the
 * process was started, not in the input (the CLI exits 2 on it, as on an unset `--password-env`).
 */
export class UnsetSecretVariableError extends SecretUnavailableError {
  override readonly name: string = 'UnsetSecretVariableError';
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set or empty`);
  }
}
