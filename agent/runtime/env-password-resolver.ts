import type { SecretSource } from '../../core/config/schema.ts';
import { SecretUnavailableError } from '../../core/errors.ts';
import type { SecretResolver } from '../../core/ports/secret-resolver.ts';

/**
 * Keystore passwords of the agent: environment variables only (a systemd `EnvironmentFile` or
 * credential), so the agent loads no Secrets Manager or SSM client.
 */
export class EnvPasswordResolver implements SecretResolver {
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async resolve(source: SecretSource): Promise<string> {
    if (!('env' in source))
      throw new SecretUnavailableError('the agent reads keystore passwords from environment variables only');
    const value = this.env[source.env];
    if (!value) throw new SecretUnavailableError(`environment variable ${source.env} is not set or empty`);
    return value;
  }
}
