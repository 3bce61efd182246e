import type { SecretSource } from '../config/certificate-config.ts';

/** Reads keystore passwords and EAB keys from where the configuration says they live. */
export interface SecretResolver {
  /** @throws SecretUnavailableError naming the source (never the value) */
  resolve(source: SecretSource): Promise<string>;
}

/** The secret a source names, or undefined when none is named (a keystore's optional passwords). */
export async function resolveIfNamed(
  secrets: SecretResolver,
  source: SecretSource | undefined,
): Promise<string | undefined> {
  return source ? secrets.resolve(source) : undefined;
}
