import { parseYamlConfig } from './parse-yaml-config.ts';
import { type AcmeHaConfig, configSchema } from './schema.ts';

export { ConfigError, type ConfigProblem, formatPath, parseYamlConfig } from './parse-yaml-config.ts';

export function parseConfig(text: string, source: string): AcmeHaConfig {
  return parseYamlConfig(text, source, configSchema);
}
