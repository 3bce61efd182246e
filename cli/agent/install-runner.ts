import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { resolveAccountId } from '../../adapters/fs/account-ids.ts';
import { writeFileAtomic } from '../../adapters/fs/atomic-file.ts';
import { readConfigFile } from '../../adapters/fs/config-file.ts';
import { awsConfigFile, awsConfigPath } from '../../agent/install/aws-config.ts';
import { polkitRule, reloadGrants } from '../../agent/install/reload-grants.ts';
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

/** A file the install writes whole, shown in full by `--dry-run`. */
interface WrittenFile {
  readonly path: string;
  readonly text: string;
  readonly mode: number;
  /** Group-readable by the agent's user (root owns it). */
  readonly agentReads?: boolean;
}

/**
 * How this very program was started: by a launcher (the bundle's first lines, the self-contained
 * archive's wrapper; see build/build.ts), which says so in ACME_HA_PROGRAM and sets Node's flags;
 * otherwise Node runs a script.
 */
function runningProgram(env: NodeJS.ProcessEnv): string[] {
  return env.ACME_HA_PROGRAM
    ? [resolve(env.ACME_HA_PROGRAM)]
    : [process.execPath, resolve(process.argv[1] ?? 'acme-ha')];
}

/**
 * `acme-ha agent install`: validates the config, then (as root) creates the system user, makes the
 * config readable by root and that user only (0640 root:acme-ha: it names password variables and
 * queue URLs), prepares the state and target directories, writes what the configured reloads need
 * (a polkit rule for `systemctl` reloads, see agent/install/reload-grants.ts) and, with
 * `aws.rolesAnywhere`, the AWS config for the signing helper, then the hardened unit, and enables
 * it. `--dry-run` prints the steps and every file without changing anything. Every step is idempotent.
 */
export async function install(flags: InstallFlags, io: CliIo): Promise<void> {
  const configPath = resolve(flags.config);
  const config = await readConfigFile(configPath, 'agent configuration', agentConfigSchema);
  const exec = flags.bin ? [resolve(flags.bin)] : runningProgram(io.env);
  const unitDir = io.env.ACME_HA_SYSTEMD_DIR ?? '/etc/systemd/system';
  const environmentFile = '/etc/acme-ha/agent.env';
  const unit = systemdUnit({ config, configPath, exec, environmentFile });
  const polkitDir = io.env.ACME_HA_POLKIT_DIR ?? '/etc/polkit-1/rules.d';
  const grants = reloadGrants(config);
  const awsConfig = awsConfigFile(config);
  const files: WrittenFile[] = [
    ...(grants.units.size > 0
      ? [
          {
            path: join(polkitDir, '50-acme-ha-agent.rules'),
            text: polkitRule(grants, SERVICE_USER),
            mode: 0o644,
          },
        ]
      : []),
    ...(awsConfig ? [{ path: awsConfigPath(config), text: awsConfig, mode: 0o640, agentReads: true }] : []),
    { path: join(unitDir, UNIT_NAME), text: unit, mode: 0o644 },
  ];
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
    ...files.map(
      (file): Step => ({
        what: `${file.path} (${file.mode.toString(8).padStart(4, '0')}${file.agentReads ? ` root:${SERVICE_USER}` : ''})`,
        apply: async () => {
          await mkdir(dirname(file.path), { recursive: true, mode: 0o755 });
          await writeFileAtomic(file.path, Buffer.from(file.text), { mode: file.mode });
          if (file.agentReads) await chown(file.path, 0, await resolveAccountId('group', SERVICE_USER));
        },
      }),
    ),
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
    for (const file of files) io.out(`--- ${file.path} ---\n${file.text}`);
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
  return [
    ...new Set(config.targets.flatMap((t) => [t.password, t.keyPassword].flatMap((s) => (s ? [s.env] : [])))),
  ];
}
