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
    if (!value) throw new SecretUnavailableError(`environment variable ${source.env} is not set or empty`);
    return value;
  }
}
