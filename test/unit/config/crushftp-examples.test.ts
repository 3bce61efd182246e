import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AgentConfig, agentConfigSchema } from '../../../core/config/agent-config.ts';
import { type AcmeHaConfig, installingNodes } from '../../../core/config/certificate-config.ts';
import { type DmzConfig, dmzConfigSchema } from '../../../core/config/dmz-config.ts';
import { parseConfig, parseYamlConfig } from '../../../core/config/parse-config.ts';

/*
 * The CrushFTP examples (docs/crushftp.md): each file parses with its own schema, and the three files
 * of each setup agree with one another, as they must on real hosts.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const EXAMPLES = join(ROOT, 'examples', 'crushftp');
const SETUPS = {
  'internal-domain': 'setup 1, "internal servers with a public domain"',
  'dmz-domain': 'setup 2, "DMZ servers with a public domain"',
} as const;
type Setup = keyof typeof SETUPS;

/** Repository-relative paths of every file under examples/crushftp/, sorted. */
function exampleFiles(): string[] {
  return readdirSync(EXAMPLES, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Files {
  readonly certificates: AcmeHaConfig;
  readonly agent: AgentConfig;
  readonly dmz: DmzConfig;
}

function setup(name: Setup): Files {
  const dir = `examples/crushftp/${name}`;
  return {
    certificates: parseConfig(read(`${dir}/acme-ha.yaml`), `${dir}/acme-ha.yaml`),
    agent: parseYamlConfig(read(`${dir}/agent-mft-1.yaml`), `${dir}/agent-mft-1.yaml`, agentConfigSchema),
    dmz: parseYamlConfig(read(`${dir}/dmz-1.yaml`), `${dir}/dmz-1.yaml`, dmzConfigSchema),
  };
}

function certificate(files: Files, id: string) {
  const found = files.certificates.certificates.find((c) => c.id === id);
  if (!found) throw new Error(`no certificate ${id}`);
  return found;
}

describe('the CrushFTP examples', () => {
  it('are exactly the six files of the two setups, and each parses with its schema', () => {
    const files = exampleFiles();
    expect(files).toEqual(
      Object.keys(SETUPS)
        .flatMap((s) =>
          ['acme-ha.yaml', 'agent-mft-1.yaml', 'dmz-1.yaml'].map((f) => `examples/crushftp/${s}/${f}`),
        )
        .sort(),
    );
    for (const file of files) {
      const text = read(file);
      if (file.endsWith('/acme-ha.yaml')) parseConfig(text, file);
      else if (/\/agent-[a-z0-9-]+\.yaml$/.test(file)) parseYamlConfig(text, file, agentConfigSchema);
      else parseYamlConfig(text, file, dmzConfigSchema);
    }
  });

  it.each(Object.entries(SETUPS))(
    '%s: every file opens with a comment naming the setup and the host',
    (name, title) => {
      const header = (file: string) => {
        const lines = read(`examples/crushftp/${name}/${file}`).split('\n');
        const comment = lines.slice(
          0,
          lines.findIndex((line) => !line.startsWith('#')),
        );
        return comment.map((line) => line.replace(/^# ?/, '')).join(' ');
      };
      expect(header('acme-ha.yaml')).toContain(
        `CrushFTP ${title}: the certificate configuration, for the control plane`,
      );
      expect(header('agent-mft-1.yaml')).toContain(
        `CrushFTP ${title}: the agent configuration of the internal node mft-1`,
      );
      expect(header('dmz-1.yaml')).toContain(
        `CrushFTP ${title}: the DMZ receiver configuration of the DMZ instance dmz-1`,
      );
    },
  );

  describe.each(Object.keys(SETUPS) as Setup[])('%s: the three files agree', (name) => {
    const files = setup(name);
    const { certificates: config, agent, dmz } = files;

    it('the agent is a declared node, in the groups the certificate configuration gives it', () => {
      const node = config.nodes.find((n) => n.id === agent.node.id);
      expect(node).toBeDefined();
      expect(agent.node.groups).toEqual(node?.groups);
    });

    it('the DMZ receiver is a declared DMZ instance, pushed by the agent', () => {
      const instance = config.dmz.find((d) => d.id === dmz.id);
      expect(instance).toBeDefined();
      expect(instance?.pushedBy).toContain(agent.node.id);
      expect(agent.dmz.map((peer) => [peer.id, peer.url])).toEqual([[dmz.id, instance?.url]]);
    });

    it('every target names a certificate of this setup, in the format, alias and passwords it is built with', () => {
      for (const target of [...agent.targets, ...dmz.targets]) {
        const keystore = certificate(files, target.certificateId).keystores.find(
          (k) => k.format === target.format,
        );
        expect(keystore, `${target.certificateId} has a ${target.format} keystore`).toBeDefined();
        expect(target.alias).toBe(keystore?.alias);
        expect('secretsManager' in (keystore?.password ?? {})).toBe(true);
        expect(target.password).toHaveProperty('env');
        expect(target.keyPassword !== undefined, `${target.certificateId} keyPassword on both sides`).toBe(
          keystore?.keyPassword !== undefined,
        );
      }
    });

    it('the agent installs exactly what the certificate configuration places on its node', () => {
      expect(agent.targets.map((t) => t.certificateId).sort()).toEqual(
        config.certificates
          .filter((c) => installingNodes(config, c).includes(agent.node.id))
          .map((c) => c.id)
          .sort(),
      );
    });

    it('the agent pushes, and the DMZ instance installs, exactly what the configuration sends there', () => {
      const sent = config.certificates
        .filter((c) => c.dmz.includes(dmz.id))
        .map((c) => c.id)
        .sort();
      expect(sent.length).toBeGreaterThan(0);
      expect([...(agent.dmz[0]?.certificates ?? [])].sort()).toEqual(sent);
      expect(dmz.targets.map((t) => t.certificateId).sort()).toEqual(sent);
    });
  });

  it('setup 1: a certificate on the whole group pushed to dmz-1, and one on mft-1 alone', () => {
    const files = setup('internal-domain');
    const { certificates: config, dmz } = files;
    expect(config.certificates.every((c) => c.publicEndpoint === 'internal')).toBe(true);
    const replicated = certificate(files, 'files');
    expect(replicated).toMatchObject({ groups: ['mft'], dmz: ['dmz-1'] });
    expect(installingNodes(config, replicated)).toEqual(['mft-1', 'mft-2']);
    const single = certificate(files, 'mft-1-direct');
    expect(single).toMatchObject({ groups: [], nodes: ['mft-1'], dmz: [] });
    expect(installingNodes(config, single)).toEqual(['mft-1']);
    expect(dmz.responder).toBeUndefined();
  });

  it('setup 2: the DMZ certificate is public at dmz-1, installed by no internal node, and challenged there', () => {
    const files = setup('dmz-domain');
    const { certificates: config, agent, dmz } = files;
    const edge = certificate(files, 'transfer');
    expect(edge).toMatchObject({ publicEndpoint: 'dmz', dmz: ['dmz-1'], groups: [], nodes: [] });
    expect(installingNodes(config, edge)).toEqual([]);
    // Pushed by the node although it does not install it.
    expect(agent.dmz[0]?.certificates).toContain('transfer');
    expect(agent.targets.map((t) => t.certificateId)).not.toContain('transfer');
    expect(dmz.responder).toMatchObject({ port: 80 });
    expect(dmz.responder?.redirectUrl).toMatch(/^https:\/\//);
  });

  it('docs/crushftp.md names every example file', () => {
    const doc = read('docs/crushftp.md');
    const files = exampleFiles();
    expect(files).toHaveLength(6);
    for (const file of files) expect(doc, file).toContain(file);
  });
});
