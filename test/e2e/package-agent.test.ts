/**
 * `npm run package:agent`: the archive a node without npm installs from. Unpacked, its agent (the
 * entry file and its chunks in lib/) runs on plain Node, and `agent install --dry-run` prints the unit it would install.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageAgent } from '../../build/package-agent.ts';
import { tempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);

describe('package:agent', () => {
  it('builds an archive whose bundled agent runs and installs from itself', async () => {
    const out = await tempDir();
    const archive = await packageAgent(out);
    expect(archive).toMatch(/acme-ha-agent-\d+\.\d+\.\d+\.tar\.gz$/);
    const unpacked = await tempDir();
    await run('tar', ['-xzf', archive, '-C', unpacked]);
    const [name] = await readdir(unpacked);
    const dir = join(unpacked, name ?? '');
    expect((await readdir(dir)).sort()).toEqual([
      'README.txt',
      'acme-ha-agent.mjs',
      'acme-ha-agent.mjs.map',
      'agent.yaml.example',
      'install.sh',
      'lib',
    ]);

    const bundle = join(dir, 'acme-ha-agent.mjs');
    const chunks = (await readdir(join(dir, 'lib'))).filter((f) => f.endsWith('.mjs'));
    expect(chunks.length).toBeGreaterThan(10);
    const source = (
      await Promise.all([bundle, ...chunks.map((f) => join(dir, 'lib', f))].map((f) => readFile(f, 'utf8')))
    ).join('\n');
    // Only the agent: no ACME client, no embedded stack, no TypeScript loader.
    for (const absent of ['acme-client', 'dynalite', 's3rver', 'tsx/esm'])
      expect(source).not.toContain(absent);

    const env = { ...process.env, NODE_OPTIONS: '' };
    // Run as the service runs it: the file itself, through its first line.
    const help = await run(bundle, ['--help'], { env });
    expect(help.stdout).toMatch(/agent\s+the node agent/);
    expect(help.stderr).toBe('');
    const install = await run(
      process.execPath,
      [
        bundle,
        'agent',
        'install',
        '--config',
        join(dir, 'agent.yaml.example'),
        '--bin',
        '/opt/acme-ha/acme-ha-agent.mjs',
        '--dry-run',
      ],
      { env },
    );
    expect(install.stdout).toContain('ExecStart=/opt/acme-ha/acme-ha-agent.mjs agent run --config');
    expect(install.stdout).toContain('NoNewPrivileges=yes');
    // Started through its own first lines and without --bin, it names itself, so the service starts
    // the same way (with the launcher's memory settings), not as `node acme-ha-agent.mjs`.
    const byItself = await run(
      bundle,
      ['agent', 'install', '--config', join(dir, 'agent.yaml.example'), '--dry-run'],
      {
        env,
      },
    );
    expect(byItself.stdout).toContain(`ExecStart=${bundle} agent run --config`);
  });
});
