import { parseYamlConfig } from '../../core/config/parse-yaml-config.ts';
import type * as z from '../../core/config/zod.ts';
import { readInputFile } from './input-file.ts';

/**
 * Reads and validates a YAML configuration file against its schema: the certificate configuration,
 * an agent's, a DMZ receiver's. `what` names the file in errors.
 * @throws ConfigError (every problem, with its line), InvalidInputError (unreadable)
 */
export async function readConfigFile<S extends z.ZodMiniType>(
  path: string,
  what: string,
  schema: S,
): Promise<z.infer<S>> {
  return parseYamlConfig((await readInputFile(path, what)).toString('utf8'), path, schema);
}
