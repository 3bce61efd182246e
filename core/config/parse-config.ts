import { type AcmeHaConfig, configSchema } from './certificate-config.ts';
import { parseYamlConfig } from './parse-yaml-config.ts';

export { ConfigError, type ConfigProblem, formatPath, parseYamlConfig } from './parse-yaml-config.ts';

export function parseConfig(text: string, source: string): AcmeHaConfig {
  return parseYamlConfig(text, source, configSchema);
}
