/**
 * The self-contained archives of `npm run package:agent` (each bundle with its own Node.js) on a
 * host without Node.js: every command here runs with a PATH that holds a few system tools and no
 * `node`. The agent archive's own install.sh installs it under a temporary root; the installed
 * program reports its version, prints the unit it would install, installs a revision published to
 * the embedded stack (`agent sync`) and pushes it over mutual TLS to the DMZ receiver, run from the
 * other archive and paired by its own `dmz pair`, which installs it too.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { EMBEDDED_NODE, packageSelfContained } from '../../build/package-agent.ts';
import { RUNTIMES } from '../../build/runtimes.ts';
import type { PairingResult } from '../../cli/dmz/pair-runner.ts';
import { VERSION } from '../../cli/version.ts';
import { freeTcpPort } from '../../local/net.ts';
import { aServerPki, pemFilesOf } from '../support/agent-keystores.ts';
import { publishRevision, stackStores } from '../support/agent-revisions.ts';
import { execute } from '../support/cli.ts';
import { useLocalStack } from '../support/local-stack.ts';
import { tempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);
const stack = useLocalStack({ nodes: ['bare-1'], prefix: 'bare', pebble: false });

/** What the install script and the programs call, and nothing else: no node, no npm. */
const HOST_TOOLS = ['sh', 'install', 'id', 'dirname', 'openssl'];

let clients: AwsClients;
let dir: string;
let unpacked: { agent: string; dmz: string };
/** The environment of a host without Node.js. */
let host: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

beforeAll(async () => {
  clients = createAwsClients(stack().clientConfigs);
  dir = await tempDir('acme-ha-bare-');
  const [agentArchive, dmzArchive] = await packageSelfContained(join(dir, 'out'));
  const unpack = async (archive: string, into: string): Promise<string> => {
    await mkdir(into);
    await run('tar', ['-xzf', archive, '-C', into]);
    const [name] = await readdir(into);
    return join(into, name ?? '');
  };
  unpacked = {
    agent: await unpack(agentArchive, join(dir, 'agent')),
    dmz: await unpack(dmzArchive, join(dir, 'dmz')),
  };
  const bin = join(dir, 'host-bin');
  await mkdir(bin);
  for (const tool of HOST_TOOLS) {
    const { stdout } = await run('sh', ['-c', `command -v ${tool}`]);
    await symlink(stdout.trim(), join(bin, tool));
  }
  host = { PATH: bin, NODE_OPTIONS: undefined, NODE_PATH: undefined, ...stack().env };
}, 180_000);
afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
  clients?.destroy();
});

describe('the self-contained agent and DMZ receiver on a host without Node.js', () => {
  it('each archive holds its bundle, the pinned Node.js with its licence, and one program in bin/', async () => {
    expect((await readdir(unpacked.agent)).sort()).toEqual([
      'LICENSE',
      'README.txt',
      'acme-ha-agent.mjs',
      'acme-ha-agent.mjs.map',
      'agent.yaml.example',
      'bin',
      'install.sh',
      'lib',
      'runtime',
    ]);
    expect((await readdir(unpacked.dmz)).sort()).toEqual([
      'LICENSE',
      'README.txt',
      'acme-ha-dmz.mjs',
      'acme-ha-dmz.mjs.map',
      'acme-ha-dmz.service',
      'bin',
      'lib',
      'runtime',
    ]);
    for (const root of [unpacked.agent, unpacked.dmz]) {
      expect((await readdir(join(root, 'runtime'))).sort()).toEqual(['LICENSE', 'node']);
      expect((await execute(join(root, 'runtime', 'node'), ['--version'], host)).stdout).toBe(
        `v${RUNTIMES[EMBEDDED_NODE].version}\n`,
      );
    }
    expect(await readdir(join(unpacked.agent, 'bin'))).toEqual(['acme-ha-agent']);
    expect(await readdir(join(unpacked.dmz, 'bin'))).toEqual(['acme-ha-dmz']);
    const noNode = await execute('/bin/sh', ['-c', 'command -v node'], host);
    expect(noNode.code).not.toBe(0);
  });

  it('installs from the archive, syncs from the embedded stack and pushes to the DMZ receiver', async () => {
    const root = join(dir, 'root');
    const installed = join(root, 'opt', 'acme-ha', 'bin', 'acme-ha-agent');
    const installSh = join(unpacked.agent, 'install.sh');
    // First run: no config yet, so it stops and says where the example went.
    const first = await execute('/bin/sh', [installSh], { ...host, DESTDIR: root });
    expect(first.stderr).toContain(`edit ${root}/etc/acme-ha/agent.yaml.example`);
    expect(first.code).toBe(2);

    const version = await execute(installed, ['--version'], host);
    expect(version).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });

    // The DMZ receiver: paired and served by its own executable.
    const dmzExe = join(unpacked.dmz, 'bin', 'acme-ha-dmz');
    const pairing = await execute(
      dmzExe,
      ['dmz', 'pair', '--out', join(dir, 'pair'), '--dmz-name', '127.0.0.1', '--dmz-id', 'dmz-1', '--json'],
      host,
    );
    expect(pairing.stderr).toBe('');
    expect(pairing.code).toBe(0);
    const paired = JSON.parse(pairing.stdout) as PairingResult;
    const dmzPort = await freeTcpPort();
    const dmzFiles = join(dir, 'dmz-files');
    await mkdir(dmzFiles);
    const receiverConfig = join(dir, 'receiver.yaml');
    await writeFile(
      receiverConfig,
      [
        'version: 1',
        'id: dmz-1',
        `listen: { host: 127.0.0.1, port: ${dmzPort} }`,
        'tls:',
        `  certificate: ${paired.receiver.certificate}`,
        `  key: ${paired.receiver.key}`,
        `  clientCertificates: [${paired.receiverTrust}]`,
        `  pinnedClients: ["${paired.client.fingerprint}"]`,
        `stateDirectory: ${join(dir, 'dmz-state')}`,
        'targets:',
        '  - certificateId: web',
        '    format: pem',
        `    path: ${dmzFiles}`,
        '',
      ].join('\n'),
    );
    const receiver = spawn(dmzExe, ['dmz', 'serve', '--config', receiverConfig], {
      env: host,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(receiver);
    let receiverLog = '';
    receiver.stdout?.on('data', (d: Buffer) => {
      receiverLog += d.toString();
    });
    receiver.stderr?.on('data', (d: Buffer) => {
      receiverLog += d.toString();
    });
    await expect.poll(() => receiverLog, { timeout: 20_000, interval: 100 }).toMatch(/receiver started/);

    // The agent's config, where the install script asked for it; then the install proper (dry run:
    // no user, no systemctl here).
    const s = stack();
    const nodeFiles = join(dir, 'node-files');
    // What `agent install` prepares, which its dry run does not.
    await mkdir(nodeFiles);
    await writeFile(
      join(root, 'etc', 'acme-ha', 'agent.yaml'),
      [
        'version: 1',
        'node: { id: bare-1, groups: [web] }',
        'aws:',
        `  region: ${s.region}`,
        `  table: ${s.resources.tableName}`,
        `  bucket: ${s.resources.bucket}`,
        `  queueUrl: ${s.resources.queues['bare-1']?.url}`,
        `stateDirectory: ${join(dir, 'agent-state')}`,
        'targets:',
        '  - certificateId: web',
        '    format: pem',
        `    path: ${nodeFiles}`,
        'dmz:',
        '  - id: dmz-1',
        `    url: https://127.0.0.1:${dmzPort}`,
        `    serverFingerprint: ${paired.receiver.fingerprint}`,
        `    clientCertificate: ${paired.client.certificate}`,
        `    clientKey: ${paired.client.key}`,
        '    certificates: [web]',
        '',
      ].join('\n'),
    );
    const dryRun = await execute('/bin/sh', [installSh, '--dry-run'], { ...host, DESTDIR: root });
    expect(dryRun.stderr).toBe('');
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain('ExecStart=/opt/acme-ha/bin/acme-ha-agent agent run --config');
    // Run by hand without --bin, the program still names itself (its wrapper says how it started).
    const byHand = await execute(
      installed,
      ['agent', 'install', '--config', join(root, 'etc', 'acme-ha', 'agent.yaml'), '--dry-run'],
      host,
    );
    expect(byHand.code).toBe(0);
    expect(byHand.stdout).toContain(`ExecStart=${installed} agent run --config`);

    const pki = await aServerPki();
    await publishRevision(stackStores(s, clients), 'web', pki);
    const sync = await execute(
      installed,
      ['agent', 'sync', '--config', join(root, 'etc', 'acme-ha', 'agent.yaml'), '--json'],
      host,
    );
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    expect(JSON.parse(sync.stdout)).toMatchObject({
      outcomes: [{ certificateId: 'web', result: 'applied', revision: 1 }],
      dmz: [{ dmzId: 'dmz-1', certificateId: 'web', result: 'pushed', revision: 1 }],
    });
    const fullchain = pemFilesOf(pki).get('fullchain.pem');
    expect(await readFile(join(nodeFiles, 'fullchain.pem'))).toEqual(fullchain);
    expect(await readFile(join(dmzFiles, 'fullchain.pem'))).toEqual(fullchain);
    receiver.kill('SIGTERM');
    await expect.poll(() => receiverLog, { timeout: 10_000, interval: 100 }).toMatch(/receiver stopped/);
  }, 120_000);
});
