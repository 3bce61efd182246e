import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { resolveAccountId } from '../../adapters/fs/account-ids.ts';
import { writeFileAtomic } from '../../adapters/fs/atomic-file.ts';
import { readConfigFile } from '../../adapters/fs/config-file.ts';
import { SERVICE_USER, systemdUnit, UNIT_NAME } from '../../agent/install/systemd-unit.ts';
import { type AgentConfig, agentConfigSchema } from '../../core/config/agent-config.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, type CliIo } from '../io.ts';

const run = promisify(execFile);

export interface InstallFlags {
  config: string;
  dryRun?: boolean;
  bin?: string;
}

interface Step {
  readonly what: string;
  readonly apply: () => Promise<void>;
}

/**
 * `acme-ha agent install`: validates the config, then (as root) creates the system user, makes the
 * config readable by root and that user only (0640 root:acme-ha: it names password variables and
 * queue URLs), prepares the state and target directories, writes the hardened unit and enables it.
 * `--dry-run` prints the steps and the unit without changing anything. Every step is idempotent.
 */
export async function install(flags: InstallFlags, io: CliIo): Promise<void> {
  const configPath = resolve(flags.config);
  const config = await readConfigFile(configPath, 'agent configuration', agentConfigSchema);
  const exec = flags.bin ? [resolve(flags.bin)] : [process.execPath, resolve(process.argv[1] ?? 'acme-ha')];
  const unitDir = io.env.ACME_HA_SYSTEMD_DIR ?? '/etc/systemd/system';
  const environmentFile = '/etc/acme-ha/agent.env';
  const unit = systemdUnit({ config, configPath, exec, environmentFile });
  const targetDirs = [...new Set(config.targets.map((t) => (t.format === 'pem' ? t.path : dirname(t.path))))];
  const steps: Step[] = [
    {
      what: `create system user ${SERVICE_USER} (no login, no home)`,
      apply: async () => {
        const exists = await resolveAccountId('user', SERVICE_USER).then(
          () => true,
          () => false,
        );
        if (!exists)
          await run('useradd', [
            '--system',
            '--no-create-home',
            '--home-dir',
            '/nonexistent',
            '--shell',
            '/usr/sbin/nologin',
            SERVICE_USER,
          ]);
      },
    },
    {
      what: `config ${configPath}: owner root:${SERVICE_USER}, mode 0640`,
      apply: async () => {
        await chown(configPath, 0, await resolveAccountId('group', SERVICE_USER));
        await chmod(configPath, 0o640);
      },
    },
    ...targetDirs.map(
      (dir): Step => ({
        what: `target directory ${dir}: exists, writable by ${SERVICE_USER} (group)`,
        apply: async () => {
          await mkdir(dir, { recursive: true, mode: 0o750 });
          const info = await stat(dir);
          await chown(dir, info.uid, await resolveAccountId('group', SERVICE_USER));
          await chmod(dir, (info.mode & 0o777) | 0o070);
        },
      }),
    ),
    {
      what: `password environment file ${environmentFile} (0600 root; put ${passwordVariables(config).join(', ') || 'no variables'} there)`,
      apply: async () => {
        await mkdir(dirname(environmentFile), { recursive: true, mode: 0o755 });
        const exists = await stat(environmentFile).then(
          () => true,
          () => false,
        );
        if (!exists)
          await writeFileAtomic(
            environmentFile,
            Buffer.from(
              passwordVariables(config)
                .map((v) => `# ${v}=\n`)
                .join(''),
            ),
            { mode: 0o600 },
          );
      },
    },
    {
      what: `unit ${join(unitDir, UNIT_NAME)}`,
      apply: () => writeFileAtomic(join(unitDir, UNIT_NAME), Buffer.from(unit), { mode: 0o644 }),
    },
    {
      what: `systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}`,
      apply: async () => {
        await run('systemctl', ['daemon-reload']);
        await run('systemctl', ['enable', '--now', UNIT_NAME]);
      },
    },
  ];
  if (flags.dryRun) {
    io.out(
      `would do, on node ${config.node.id}:\n${steps.map((s, i) => `  ${i + 1}. ${s.what}`).join('\n')}\n\n`,
    );
    io.out(`--- ${join(unitDir, UNIT_NAME)} ---\n${unit}`);
    return;
  }
  if (process.getuid?.() !== 0)
    throw new CliExit(EXIT.FAILURE, 'agent install must run as root (try --dry-run to see the steps)');
  for (const step of steps) {
    io.out(`${step.what}\n`);
    try {
      await step.apply();
    } catch (error) {
      throw new CliExit(EXIT.FAILURE, `${step.what}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

function passwordVariables(config: AgentConfig): string[] {
  return [...new Set(config.targets.flatMap((t) => (t.password ? [t.password.env] : [])))];
}
