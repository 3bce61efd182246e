import type { AgentConfig } from '../../core/config/agent-config.ts';

/** Where `agent install` writes the agent's AWS configuration: its state directory, which it owns. */
export function awsConfigPath(config: AgentConfig): string {
  return `${config.stateDirectory.replace(/\/+$/, '')}/aws-config`;
}

/**
 * The AWS shared config file for an agent that gets its credentials through IAM Roles Anywhere:
 * the default profile runs AWS's signing helper as its `credential_process`, so the SDK (and the
 * AWS CLI, for a look by hand) asks it for temporary credentials of this node's role. The unit
 * points `AWS_CONFIG_FILE` at it; the service user has no home directory for `~/.aws`.
 */
export function awsConfigFile(config: AgentConfig): string | undefined {
  const ra = config.aws.rolesAnywhere;
  if (!ra) return undefined;
  const argv = [
    ra.signingHelper,
    'credential-process',
    '--certificate',
    ra.certificate,
    '--private-key',
    ra.privateKey,
    '--trust-anchor-arn',
    ra.trustAnchorArn,
    '--profile-arn',
    ra.profileArn,
    '--role-arn',
    ra.roleArn,
  ];
  return [
    '# Written by `acme-ha agent install` from aws.rolesAnywhere in the agent configuration.',
    '[default]',
    `region = ${config.aws.region}`,
    // The SDK splits credential_process on spaces, as a shell would without quotes: paths and ARNs
    // with spaces are refused by the configuration's schema.
    `credential_process = ${argv.join(' ')}`,
    '',
  ].join('\n');
}
