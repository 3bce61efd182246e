import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SecretSource } from '../../core/config/certificate-config.ts';
import { SecretUnavailableError } from '../../core/errors.ts';
import type { SecretResolver } from '../../core/ports/secret-resolver.ts';
import { EnvSecretResolver } from './env-secret-resolver.ts';

export interface SecretClients {
  readonly secretsManager: SecretsManagerClient;
  readonly ssm: SSMClient;
}

/**
 * Reads each secret from the source the configuration names: an environment variable, AWS Secrets
 * Manager, or an SSM SecureString parameter (decrypted). Errors name the source, never a value.
 * AWS clients are made on first use, so runtimes that only use environment variables never load them.
 */
export class SourceSecretResolver implements SecretResolver {
  private clients: SecretClients | undefined;
  private readonly fromEnv: EnvSecretResolver;

  constructor(
    env: NodeJS.ProcessEnv = process.env,
    private readonly makeClients: () => SecretClients = () => ({
      secretsManager: new SecretsManagerClient({}),
      ssm: new SSMClient({}),
    }),
  ) {
    this.fromEnv = new EnvSecretResolver(env);
  }

  async resolve(source: SecretSource): Promise<string> {
    if ('env' in source) return this.fromEnv.resolve(source);
    const clients = this.clients ?? this.makeClients();
    this.clients = clients;
    const [what, read] =
      'secretsManager' in source
        ? [
            `secret ${source.secretsManager}`,
            async () =>
              (
                await clients.secretsManager.send(
                  new GetSecretValueCommand({ SecretId: source.secretsManager }),
                )
              ).SecretString,
          ]
        : [
            `parameter ${source.ssmParameter}`,
            async () =>
              (
                await clients.ssm.send(
                  new GetParameterCommand({ Name: source.ssmParameter, WithDecryption: true }),
                )
              ).Parameter?.Value,
          ];
    let value: string | undefined;
    try {
      value = await read();
    } catch (error) {
      throw new SecretUnavailableError(`cannot read ${what}: ${(error as Error).name}`, { cause: error });
    }
    if (!value) throw new SecretUnavailableError(`${what} has no string value`);
    return value;
  }
}
