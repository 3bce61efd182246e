import { readInputFile } from '../../adapters/fs/input-file.ts';
import { type AgentConfig, agentConfigSchema } from '../../core/agent/agent-config.ts';
import { parseYamlConfig } from '../../core/config/parse-yaml-config.ts';

/** Reads and validates the agent's configuration file. @throws ConfigError (every problem), InvalidInputError */
export async function readAgentConfig(path: string): Promise<AgentConfig> {
  return parseYamlConfig(
    (await readInputFile(path, 'agent configuration')).toString('utf8'),
    path,
    agentConfigSchema,
  );
}
