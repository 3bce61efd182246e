/**
 * The operator's two minutes, through the real `acme-ha` bin: `dmz pair` writes both identities with
 * safe modes and prints fingerprints that match the certificates (as openssl computes them); the
 * printed receiver snippet, completed with a target, runs under `dmz serve`, which accepts the
 * paired client and nobody else; `dmz serve` with a broken config fails with one clear line.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { PairingResult } from '../../cli/dmz/pair-runner.ts';
import { freeTcpPort } from '../../local/net.ts';
import { runCli } from '../support/cli.ts';
import { rawDmzRequest } from '../support/dmz-receivers.ts';
import { tempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'acme-ha.js');

async function opensslFingerprint(file: string): Promise<string> {
  const { stdout } = await run('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', file]);
  return stdout.trim().replace(/^.*=/, '').replaceAll(':', '').toLowerCase();
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('acme-ha dmz pair', () => {
  it('writes both identities 0600 in 0700 directories, with fingerprints that match the certificates', async () => {
    const out = join(await tempDir('acme-ha-pair-'), 'pairing');
    const result = await runCli([
      'dmz',
      'pair',
      '--out',
      out,
      '--dmz-name',
      'dmz1.example.test',
      '--client-name',
      'node-1',
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const pairing = JSON.parse(result.stdout) as PairingResult;
    expect(pairing.dmzId).toBe('dmz1');
    expect(pairing.url).toBe('https://dmz1.example.test:8443');
    for (const file of [
      pairing.receiver.certificate,
      pairing.receiver.key,
      pairing.client.certificate,
      pairing.client.key,
      pairing.receiverTrust,
    ])
      expect(await mode(file), file).toBe(0o600);
    for (const dir of [out, join(out, 'dmz'), join(out, 'internal')])
      expect(await mode(dir), dir).toBe(0o700);
    expect(await opensslFingerprint(pairing.receiver.certificate)).toBe(pairing.receiver.fingerprint);
    expect(await opensslFingerprint(pairing.client.certificate)).toBe(pairing.client.fingerprint);
    expect(await opensslFingerprint(pairing.receiverTrust)).toBe(pairing.client.fingerprint);
    const { stdout: text } = await run('openssl', [
      'x509',
      '-noout',
      '-ext',
      'subjectAltName,extendedKeyUsage',
      '-in',
      pairing.receiver.certificate,
    ]);
    expect(text).toMatch(/DNS:dmz1\.example\.test/);
    expect(text).toMatch(/TLS Web Server Authentication/);

    // Pairing again into the same place would silently break the other side's pins: refused.
    const again = await runCli(['dmz', 'pair', '--out', out, '--dmz-name', 'dmz1.example.test']);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/^acme-ha: .*exists already/);
    expect(again.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('prints the fingerprints and both config snippets for people', async () => {
    const out = join(await tempDir('acme-ha-pair-'), 'p');
    const result = await runCli(['dmz', 'pair', '--out', out, '--dmz-name', '10.0.0.7', '--dmz-id', 'edge']);
    expect(result.code).toBe(0);
    const client = await opensslFingerprint(join(out, 'internal', 'client-cert.pem'));
    const receiver = await opensslFingerprint(join(out, 'dmz', 'receiver-cert.pem'));
    expect(result.stdout).toContain(`pinnedClients: ["${client}"]`);
    expect(result.stdout).toContain(`serverFingerprint: "${receiver}"`);
    expect(result.stdout).toContain('url: https://10.0.0.7:8443');
    expect(result.stdout).toContain(receiver.toUpperCase().match(/../g)?.join(':'));
  });
});

describe('acme-ha dmz serve', () => {
  it('runs from the paired files, answers the paired client, refuses others, stops on SIGTERM', async () => {
    const dir = await tempDir('acme-ha-serve-');
    const pairing = JSON.parse(
      (await runCli(['dmz', 'pair', '--out', join(dir, 'pair'), '--dmz-name', '127.0.0.1', '--json'])).stdout,
    ) as PairingResult;
    const other = JSON.parse(
      (await runCli(['dmz', 'pair', '--out', join(dir, 'other'), '--dmz-name', '127.0.0.1', '--json']))
        .stdout,
    ) as PairingResult;
    await mkdir(join(dir, 'pem'));
    const port = await freeTcpPort();
    const config = join(dir, 'receiver.yaml');
    await writeFile(
      config,
      `version: 1
id: edge
listen: { host: 127.0.0.1, port: ${port} }
tls:
  certificate: ${pairing.receiver.certificate}
  key: ${pairing.receiver.key}
  clientCertificates: [${pairing.receiverTrust}]
  pinnedClients: ["${pairing.client.fingerprint}"]
stateDirectory: ${join(dir, 'state')}
targets:
  - certificateId: app
    format: pem
    path: ${join(dir, 'pem')}
`,
    );
    const child = spawn(process.execPath, [BIN, 'dmz', 'serve', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => stdout, { timeout: 20_000, interval: 100 }).toMatch(/receiver started/);
      const me = {
        certificateFile: pairing.client.certificate,
        keyFile: pairing.client.key,
        fingerprint: '',
        notAfter: '',
      };
      const stranger = {
        certificateFile: other.client.certificate,
        keyFile: other.client.key,
        fingerprint: '',
        notAfter: '',
      };
      expect(await rawDmzRequest({ port, path: '/v1/revisions/app', client: me })).toEqual({
        status: 200,
        body: { certificateId: 'app', revision: null, serial: null },
      });
      expect((await rawDmzRequest({ port, path: '/v1/revisions/other', client: me })).status).toBe(404);
      await expect(rawDmzRequest({ port, path: '/v1/revisions/app', client: stranger })).rejects.toThrow();
      const bad = await rawDmzRequest({ port, path: '/v1/revisions/app', client: me, body: '{"version":1}' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ result: 'refused', errorCode: 'PAYLOAD_INVALID' });
      expect(JSON.stringify(bad.body)).not.toContain(dir);
      // The log never prints key material.
      expect(stdout).not.toContain(readFileSync(pairing.receiver.key, 'utf8').split('\n')[1] ?? 'x');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/receiver stopped/);
  }, 60_000);

  it('an unset password variable is a command-line problem: exit 2, one line naming it', async () => {
    const dir = await tempDir('acme-ha-serve-');
    const config = join(dir, 'receiver.yaml');
    await writeFile(
      config,
      `version: 1
id: edge
listen: { host: 127.0.0.1, port: 8443 }
tls:
  certificate: ${join(dir, 'receiver.crt')}
  key: ${join(dir, 'receiver.key')}
  clientCertificates: [${join(dir, 'client.crt')}]
  pinnedClients: ["${'ab'.repeat(32)}"]
stateDirectory: ${join(dir, 'state')}
targets:
  - certificateId: app
    format: jks
    path: ${join(dir, 'app.jks')}
    password: { env: ACME_HA_TEST_DMZ_PASSWORD }
`,
    );
    const result = await runCli(['dmz', 'serve', '--config', config], {
      ACME_HA_TEST_DMZ_PASSWORD: undefined,
    });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'acme-ha: environment variable ACME_HA_TEST_DMZ_PASSWORD is not set or empty\n',
    });
  });

  it('a broken config fails with every problem in one clear message and exit code 3', async () => {
    const dir = await tempDir('acme-ha-serve-');
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'version: 1\nid: Edge\ntls: {}\ntargets: []\n');
    const result = await runCli(['dmz', 'serve', '--config', config]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^acme-ha: /);
    expect(result.stderr).toMatch(/id/);
    expect(result.stderr).toMatch(/tls\.certificate/);
    expect(result.stderr).toMatch(/targets/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await readFile(config, 'utf8')).toContain('Edge');
  });
});
