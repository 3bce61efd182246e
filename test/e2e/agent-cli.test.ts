/**
 * The real `acme-ha` bin: `agent sync` against the embedded stack (exit code, files, status),
 * `status --json`, a bad agent config reported with every problem, and `agent install --dry-run`.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { DynamoChallengeStore } from '../../adapters/aws/dynamo-challenge-store.ts';
import { closeHttp, listenOn } from '../../adapters/http/http-server.ts';
import { awsConfigFile } from '../../agent/install/aws-config.ts';
import { LAUNCHER } from '../../build/build.ts';
import { agentConfigSchema } from '../../core/config/agent-config.ts';
import { parseYamlConfig } from '../../core/config/parse-yaml-config.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { freeTcpPort } from '../../local/net.ts';
import { ensureTools, TOOLS } from '../../local/prerequisites.ts';
import { aServerPki, pemFilesOf } from '../support/agent-keystores.ts';
import { KEYSTORE_PASSWORD_ENV, publishRevision, stackStores } from '../support/agent-revisions.ts';
import { execute, runCli } from '../support/cli.ts';
import { useLocalStack } from '../support/local-stack.ts';
import { tempDir } from '../support/temp-dir.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'acme-ha.js');
const stack = useLocalStack({ nodes: ['cli-1'], prefix: 'agent-cli', pebble: false });
let clients: AwsClients;
let dir: string;
let configFile: string;

beforeAll(async () => {
  clients = createAwsClients(stack().clientConfigs);
  dir = await tempDir('acme-ha-agent-cli-');
  configFile = join(dir, 'agent.yaml');
  const s = stack();
  await writeFile(
    configFile,
    [
      'version: 1',
      'node: { id: cli-1, groups: [web] }',
      'aws:',
      `  region: ${s.region}`,
      `  table: ${s.resources.tableName}`,
      `  bucket: ${s.resources.bucket}`,
      `  queueUrl: ${s.resources.queues['cli-1']?.url}`,
      `stateDirectory: ${join(dir, 'state')}`,
      'targets:',
      '  - certificateId: web',
      '    format: pem',
      `    path: ${dir}`,
      '    files: [fullchain.pem, privkey.pem]',
      '    mode: "0640"',
      '',
    ].join('\n'),
  );
});
afterAll(() => clients?.destroy());

describe('acme-ha agent and status', () => {
  it('agent sync installs the published revision (exit 0), then finds it up to date', async () => {
    const pki = await aServerPki();
    const stores = stackStores(stack(), clients);
    await publishRevision(stores, 'web', pki);
    const first = await runCli(['agent', 'sync', '--config', configFile, '--json'], stack().env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout) as { outcomes: { result: string; revision: number }[] };
    expect(summary.outcomes).toMatchObject([{ result: 'applied', revision: 1 }]);
    expect(
      (await readFile(join(dir, 'fullchain.pem'))).equals(
        pemFilesOf(pki).get('fullchain.pem') ?? Buffer.alloc(0),
      ),
    ).toBe(true);

    const second = await runCli(['agent', 'sync', '--config', configFile], stack().env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^web: up-to-date revision 1 \(installed 1\)/);

    const status = await runCli(['status', '--certificate', 'web', '--json'], {
      ...stack().env,
      ACME_HA_TABLE: stack().resources.tableName,
    });
    expect(status.code).toBe(0);
    const fleet = JSON.parse(status.stdout) as { certificates: { counts: unknown; nodes: unknown[] }[] };
    expect(fleet.certificates[0]).toMatchObject({
      currentRevision: 1,
      counts: { nodes: 1, current: 1, lagging: 0, failed: 0 },
      nodes: [{ nodeId: 'cli-1', revisionOnDisk: 1, result: 'applied', lagging: false }],
    });
  });

  it('agent sync exits 4 when the revision is rejected', async () => {
    const stores = stackStores(stack(), clients);
    await publishRevision(stores, 'web', await aServerPki({ sans: ['somewhere-else.acme-ha.test'] }));
    const withNames = configFile.replace('.yaml', '-names.yaml');
    await writeFile(
      withNames,
      (await readFile(configFile, 'utf8')).replace(
        '    mode: "0640"',
        '    mode: "0640"\n    names: [app.acme-ha.test]',
      ),
    );
    const result = await runCli(['agent', 'sync', '--config', withNames], stack().env);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/web: rejected revision 2 \(installed 1\).*NAMES_NOT_COVERED/);
  });

  it('a bad agent config is refused with every problem and its line (exit 3)', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      [
        'version: 1',
        'node: { id: Not_A_Node }',
        'aws: { region: us-east-1, queueUrl: not-a-url }',
        'targets:',
        '  - certificateId: web',
        '    format: jks',
        '    path: relative/file.jks',
        '    mode: 0640',
        '    reload: { signal: SIGHUP }',
        '',
      ].join('\n'),
    );
    const result = await runCli(['agent', 'sync', '--config', bad]);
    expect(result.code).toBe(3);
    for (const expected of [
      /line 2: node\.id/,
      /line 3: aws\.queueUrl/,
      /line 7: targets\[0\]\.path: must be an absolute path/,
      /line 8: targets\[0\]\.mode: must be an octal mode in quotes/,
      /targets\[0\]\.reload\.pidFile: a signal needs the pidFile/,
    ])
      expect(result.stderr).toMatch(expected);
    expect(result.stderr).toMatch(/5 problems/);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('agent install --dry-run prints the steps and a hardened unit, changing nothing', async () => {
    const result = await runCli(['agent', 'install', '--config', configFile, '--dry-run'], {
      ACME_HA_SYSTEMD_DIR: join(dir, 'systemd'),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/create system user acme-ha/);
    expect(result.stdout).toMatch(/mode 0640/);
    for (const line of [
      'User=acme-ha',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      `ReadWritePaths=${join(dir, 'state')} ${dir}`,
    ])
      expect(result.stdout).toContain(line);
    expect(result.stdout).toMatch(/ExecStart=.* agent run --config /);

    // The unit as systemd itself judges it, offline: valid, and its exposure score stays at most 2.0
    // ("OK"; 1.9 when written). No systemd runs here, so the install itself stays a dry run.
    const unit = join(dir, 'acme-ha-agent.service');
    await writeFile(unit, result.stdout.slice(result.stdout.indexOf('[Unit]')));
    await ensureTools([TOOLS.systemdAnalyze]);
    const verify = await execute(TOOLS.systemdAnalyze.command, ['verify', unit]);
    expect(verify).toMatchObject({ code: 0, stderr: '' });
    const security = await execute(TOOLS.systemdAnalyze.command, [
      'security',
      '--offline=true',
      '--threshold=20',
      unit,
    ]);
    expect(security.code, security.stderr).toBe(0);
  });
});

describe('agent install for the hardened unit: what the reloads and Roles Anywhere need', () => {
  const ARNS = {
    trustAnchorArn: 'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0f0e',
    profileArn: 'arn:aws:rolesanywhere:us-east-1:123456789012:profile/0a0b',
    roleArn: 'arn:aws:iam::123456789012:role/acme-ha-web-1',
  };

  /** The test config with a JKS-less target whose reloads are `reload`, and Roles Anywhere. */
  async function configWith(name: string, reload: string, helper = '/usr/local/bin/aws_signing_helper') {
    const file = join(dir, name);
    const text = (await readFile(configFile, 'utf8'))
      .replace(
        `  queueUrl:`,
        [
          '  rolesAnywhere:',
          `    certificate: ${join(dir, 'node.crt')}`,
          `    privateKey: ${join(dir, 'node.key')}`,
          `    trustAnchorArn: ${ARNS.trustAnchorArn}`,
          `    profileArn: ${ARNS.profileArn}`,
          `    roleArn: ${ARNS.roleArn}`,
          `    signingHelper: ${helper}`,
          '  queueUrl:',
        ].join('\n'),
      )
      .replace('    mode: "0640"', `    mode: "0640"\n    reload: ${reload}`);
    await writeFile(file, text);
    return file;
  }

  it('--dry-run prints the polkit rule for systemctl reloads, the AWS config, and CAP_KILL for nginx -s', async () => {
    const systemctl = await configWith(
      'agent-systemctl.yaml',
      '{ command: [systemctl, restart, mft-server] }',
    );
    const result = await runCli(['agent', 'install', '--config', systemctl, '--dry-run'], {
      ACME_HA_SYSTEMD_DIR: join(dir, 'systemd'),
      ACME_HA_POLKIT_DIR: join(dir, 'polkit'),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`--- ${join(dir, 'polkit', '50-acme-ha-agent.rules')} ---`);
    expect(result.stdout).toContain('var allowed = {"mft-server.service":["restart"]};');
    expect(result.stdout).toContain(`--- ${join(dir, 'state', 'aws-config')} ---`);
    expect(result.stdout).toContain(
      `credential_process = /usr/local/bin/aws_signing_helper credential-process --certificate ${join(dir, 'node.crt')} --private-key ${join(dir, 'node.key')} --trust-anchor-arn ${ARNS.trustAnchorArn} --profile-arn ${ARNS.profileArn} --role-arn ${ARNS.roleArn}`,
    );
    expect(result.stdout).toContain(`Environment=AWS_CONFIG_FILE=${join(dir, 'state', 'aws-config')}`);
    expect(result.stdout).toMatch(/^CapabilityBoundingSet=$/m);

    const nginx = await configWith('agent-nginx.yaml', '{ command: "nginx -s reload" }');
    const signal = await runCli(['agent', 'install', '--config', nginx, '--dry-run'], {
      ACME_HA_SYSTEMD_DIR: join(dir, 'systemd'),
    });
    expect(signal.stdout).toMatch(/^CapabilityBoundingSet=CAP_KILL$/m);
    expect(signal.stdout).not.toContain('50-acme-ha-agent.rules');
    const unit = join(dir, 'acme-ha-agent-nginx.service');
    await writeFile(unit, signal.stdout.slice(signal.stdout.indexOf('[Unit]')));
    await ensureTools([TOOLS.systemdAnalyze]);
    expect(await execute(TOOLS.systemdAnalyze.command, ['verify', unit])).toMatchObject({
      code: 0,
      stderr: '',
    });
  });

  it('the AWS config it writes gives the agent its credentials through the signing helper', async () => {
    // A stand-in for AWS's aws_signing_helper (no Roles Anywhere endpoint runs here): it records its
    // arguments and answers as the credential_process protocol asks, with the embedded stack's keys.
    const helper = join(dir, 'signing-helper.sh');
    await writeFile(
      helper,
      `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(dir, 'helper-args')}\nprintf '{"Version":1,"AccessKeyId":"S3RVER","SecretAccessKey":"S3RVER"}'\n`,
      { mode: 0o755 },
    );
    const file = await configWith('agent-ra.yaml', '{ command: [/bin/true] }', helper);
    const config = parseYamlConfig(await readFile(file, 'utf8'), file, agentConfigSchema);
    const awsConfig = join(dir, 'aws-config');
    await writeFile(awsConfig, awsConfigFile(config) ?? '');
    const result = await runCli(['agent', 'sync', '--config', file], {
      ...stack().env,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: awsConfig,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await readFile(join(dir, 'helper-args'), 'utf8')).split('\n')).toEqual([
      'credential-process',
      '--certificate',
      join(dir, 'node.crt'),
      '--private-key',
      join(dir, 'node.key'),
      '--trust-anchor-arn',
      ARNS.trustAnchorArn,
      '--profile-arn',
      ARNS.profileArn,
      '--role-arn',
      ARNS.roleArn,
      '',
    ]);
  });
});

describe('the shipped agent bundle, started by its own first line as the installed service starts it', () => {
  it('installs a JKS revision and reloads over HTTP with a secret header (no fetch under --jitless), saying nothing on stderr', async () => {
    const bundle = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'acme-ha-agent.mjs');
    expect((await readFile(bundle, 'utf8')).startsWith(`${LAUNCHER}\n`)).toBe(true);
    const reloads: string[] = [];
    const admin = createServer((req, res) => {
      reloads.push(`${req.method} ${req.url} ${req.headers.authorization ?? 'no authorization'}`);
      res.writeHead(204).end();
    });
    const adminPort = await listenOn(admin, 0, '127.0.0.1');
    try {
      const pki = await aServerPki();
      await publishRevision(stackStores(stack(), clients), 'bundled', pki);
      const keystore = join(dir, 'bundled.jks');
      const bundleConfig = join(dir, 'agent-bundle.yaml');
      await writeFile(
        bundleConfig,
        (await readFile(configFile, 'utf8')).replace(
          /targets:[\s\S]*$/,
          [
            'targets:',
            '  - certificateId: bundled',
            '    format: jks',
            `    path: ${keystore}`,
            '    alias: server',
            `    password: { env: ${KEYSTORE_PASSWORD_ENV} }`,
            '    reload:',
            '      http:',
            `        url: "http://127.0.0.1:${adminPort}/reload?token=t"`,
            '        headers: { Authorization: { env: ADMIN_AUTH } }',
            '',
          ].join('\n'),
        ),
      );
      const result = await execute(bundle, ['agent', 'sync', '--config', bundleConfig, '--json'], {
        ...stack().env,
        [KEYSTORE_PASSWORD_ENV]: 'changeit',
        ADMIN_AUTH: 'Basic YWRtaW46czNjcmV0',
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ outcomes: [{ result: 'applied', revision: 1 }] });
      expect(reloads).toEqual(['POST /reload?token=t Basic YWRtaW46czNjcmV0']);
      expect(result.stdout).not.toContain('YWRtaW46czNjcmV0');
      expect((await readFile(keystore)).subarray(0, 4).toString('hex')).toBe('feedfeed');
    } finally {
      await closeHttp(admin);
    }
  });
});

describe('acme-ha agent run', () => {
  it('serves /metrics and the HTTP-01 lookup, and stops cleanly on SIGTERM', async () => {
    const [metricsPort, responderPort] = [await freeTcpPort(), await freeTcpPort()];
    const runConfig = join(dir, 'agent-run.yaml');
    await writeFile(
      runConfig,
      `${(await readFile(configFile, 'utf8')).trimEnd()}\nmetrics: { host: 127.0.0.1, port: ${metricsPort} }\nresponder: { mode: lookup, host: 127.0.0.1, port: ${responderPort} }\n`,
    );
    const token = 'Zm9vYmFyLXRva2VuLWZvci10aGUtYWdlbnQtdGVzdA';
    await new DynamoChallengeStore(clients.documents, stack().resources.tableName, systemClock).put(
      token,
      `${token}.thumbprint`,
      new Date(Date.now() + 60_000),
    );
    const daemon = spawn(process.execPath, [BIN, 'agent', 'run', '--config', runConfig], {
      env: { ...process.env, ...stack().env },
    });
    const exited = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
    try {
      await expect
        .poll(
          async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => null))?.text(),
          {
            timeout: 20_000,
            interval: 200,
          },
        )
        .toMatch(/acme_ha_agent_installed_revision\{node="cli-1",certificate="web"\} \d+/);
      const answer = await fetch(`http://127.0.0.1:${responderPort}/.well-known/acme-challenge/${token}`);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe(`${token}.thumbprint`);
      expect(
        (await fetch(`http://127.0.0.1:${responderPort}/.well-known/acme-challenge/${'A'.repeat(43)}`))
          .status,
      ).toBe(404);
    } finally {
      daemon.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('runs as a responder alone: no targets, no queue; answers from the table, installs nothing', async () => {
    const responderPort = await freeTcpPort();
    const s = stack();
    const responderConfig = join(dir, 'responder-only.yaml');
    await writeFile(
      responderConfig,
      [
        'version: 1',
        'node: { id: lb-1 }',
        `aws: { region: ${s.region}, table: ${s.resources.tableName} }`,
        `stateDirectory: ${join(dir, 'responder-state')}`,
        `responder: { mode: lookup, host: 127.0.0.1, port: ${responderPort} }`,
        '',
      ].join('\n'),
    );
    const sync = await runCli(['agent', 'sync', '--config', responderConfig], s.env);
    expect(sync).toMatchObject({ code: 0, stdout: '' });
    expect(sync.stderr).toMatch(/no targets: this node only answers HTTP-01 challenges/);

    const token = 'cmVzcG9uZGVyLW9ubHktbm9kZS10b2tlbi0wMTIzNDU';
    await new DynamoChallengeStore(clients.documents, s.resources.tableName, systemClock).put(
      token,
      `${token}.thumbprint`,
      new Date(Date.now() + 60_000),
    );
    const daemon = spawn(process.execPath, [BIN, 'agent', 'run', '--config', responderConfig], {
      env: { ...process.env, ...s.env },
    });
    const exited = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
    let log = '';
    daemon.stdout.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    try {
      const url = `http://127.0.0.1:${responderPort}/.well-known/acme-challenge/${token}`;
      await expect
        .poll(async () => (await fetch(url).catch(() => null))?.status, { timeout: 20_000, interval: 200 })
        .toBe(200);
      expect(await (await fetch(url)).text()).toBe(`${token}.thumbprint`);
      expect(JSON.parse(log.split('\n').find((l) => l.includes('agent started')) ?? '{}')).toMatchObject({
        certificates: [],
        queueUrl: null,
        responder: `http://127.0.0.1:${responderPort}`,
      });
    } finally {
      daemon.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses a node with nothing to do, and targets without a queue, naming the fields', async () => {
    const bad = join(dir, 'idle.yaml');
    await writeFile(bad, ['version: 1', 'node: { id: idle-1 }', 'aws: { region: us-east-1 }', ''].join('\n'));
    const idle = await runCli(['agent', 'sync', '--config', bad]);
    expect(idle.code).toBe(3);
    expect(idle.stderr).toMatch(
      /targets: declare at least one target, a DMZ instance to push to \(dmz\), or a responder/,
    );

    const noQueue = join(dir, 'no-queue.yaml');
    await writeFile(noQueue, (await readFile(configFile, 'utf8')).replace(/^ {2}queueUrl: .*\n/m, ''));
    const queueless = await runCli(['agent', 'sync', '--config', noQueue]);
    expect(queueless.code).toBe(3);
    expect(queueless.stderr).toMatch(/aws\.queueUrl: the node's queue is needed to install certificates/);
  });
});
