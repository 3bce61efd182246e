import { parseConfig } from '../../core/config/parse-config.ts';
import type { AcmeHaConfig } from '../../core/config/schema.ts';
import { readInputFile } from './input-file.ts';

/** Reads and validates the certificate configuration file. @throws ConfigError, InvalidInputError */
export async function readConfigFile(path: string): Promise<AcmeHaConfig> {
  return parseConfig((await readInputFile(path, 'configuration')).toString('utf8'), path);
}
