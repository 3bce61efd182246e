import type { SecretSource } from '../../core/config/schema.ts';
import { SecretUnavailableError } from '../../core/errors.ts';
import type { SecretResolver } from '../../core/ports/secret-resolver.ts';

/**
 * Secrets from environment variables: the local runtime and the agent. Sources kept in AWS
 * (Secrets Manager, SSM) are refused here with a message that says so.
 */
export class EnvSecretResolver implements SecretResolver {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async resolve(source: SecretSource): Promise<string> {
    if (!('env' in source)) {
      throw new SecretUnavailableError(
        `secret ${JSON.stringify(source)} is kept in AWS; this runtime reads environment variables only`,
      );
    }
    const value = this.env[source.env];
    if (!value) throw new SecretUnavailableError(`environment variable ${source.env} is not set or empty`);
    return value;
  }
}
