import type { SecretSource } from '../config/certificate-config.ts';

/** Reads keystore passwords and EAB keys from where the configuration says they live. */
export interface SecretResolver {
  /** @throws SecretUnavailableError naming the source (never the value) */
  resolve(source: SecretSource): Promise<string>;
}
