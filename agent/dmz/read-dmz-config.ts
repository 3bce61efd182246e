import { readInputFile } from '../../adapters/fs/input-file.ts';
import { type DmzConfig, dmzConfigSchema } from '../../core/agent/dmz-config.ts';
import { parseYamlConfig } from '../../core/config/parse-yaml-config.ts';

/** Reads and validates the receiver's configuration file. @throws ConfigError (every problem), InvalidInputError */
export async function readDmzConfig(path: string): Promise<DmzConfig> {
  return parseYamlConfig(
    (await readInputFile(path, 'DMZ receiver configuration')).toString('utf8'),
    path,
    dmzConfigSchema,
  );
}
