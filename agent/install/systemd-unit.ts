import { dirname } from 'node:path';
import type { AgentConfig } from '../../core/config/agent-config.ts';
import { awsConfigPath } from './aws-config.ts';
import { reloadGrants } from './reload-grants.ts';

export const SERVICE_USER = 'acme-ha';
export const UNIT_NAME = 'acme-ha-agent.service';

export interface UnitInput {
  readonly config: AgentConfig;
  readonly configPath: string;
  /** argv prefix that starts the CLI, e.g. ['/usr/bin/node', '/opt/acme-ha/acme-ha-agent.mjs']. */
  readonly exec: readonly string[];
  /** Environment file with keystore passwords (0600, root), loaded by systemd. */
  readonly environmentFile: string;
}

/**
 * The hardened systemd unit of the agent. It runs as the dedicated user; the file system is
 * read-only except the state directory and the directories the targets write to (temp files and
 * backups live beside each keystore). Capabilities: CAP_CHOWN/CAP_FOWNER only when a target sets
 * an owner or group, CAP_KILL only for reloads that signal a server (a `signal` reload, `nginx -s`;
 * servers usually run as another user; see reload-grants.ts, which also grants `systemctl` reloads
 * through polkit), and CAP_NET_BIND_SERVICE only for a responder on a port below 1024. With
 * `aws.rolesAnywhere`, `AWS_CONFIG_FILE` points at the config `agent install` writes (aws-config.ts).
 * No MemoryDenyWriteExecute: V8's JIT needs writable-executable pages (the npm package's CLI runs
 * with it).
 */
export function systemdUnit(input: UnitInput): string {
  const { config } = input;
  const writable = [
    config.stateDirectory,
    ...config.targets.map((t) => (t.format === 'pem' ? t.path : dirname(t.path))),
  ];
  const capabilities = new Set<string>();
  if (config.targets.some((t) => t.owner || t.group)) {
    capabilities.add('CAP_CHOWN');
    capabilities.add('CAP_FOWNER');
  }
  for (const capability of reloadGrants(config).capabilities) capabilities.add(capability);
  if (config.responder && config.responder.port < 1024) capabilities.add('CAP_NET_BIND_SERVICE');
  const caps = [...capabilities].join(' ');
  return `${[
    '[Unit]',
    `Description=acme-ha agent (node ${config.node.id}): installs renewed keystores, reloads, probes`,
    'Documentation=https://github.com/acme-ha/acme-ha',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[...input.exec, 'agent', 'run', '--config', input.configPath].map(quote).join(' ')}`,
    `EnvironmentFile=-${input.environmentFile}`,
    ...(config.aws.rolesAnywhere ? [`Environment=${quote(`AWS_CONFIG_FILE=${awsConfigPath(config)}`)}`] : []),
    `User=${SERVICE_USER}`,
    `Group=${SERVICE_USER}`,
    'Restart=on-failure',
    'RestartSec=5s',
    // SIGTERM lets a reload in progress finish; its own timeouts are far below this.
    'TimeoutStopSec=90s',
    'KillMode=mixed',
    'StateDirectory=acme-ha',
    'StateDirectoryMode=0750',
    'UMask=0077',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    `ReadWritePaths=${[...new Set(writable)].map(quote).join(' ')}`,
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    `CapabilityBoundingSet=${caps}`,
    `AmbientCapabilities=${caps}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n')}\n`;
}

function quote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)
    ? word
    : `"${word.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
