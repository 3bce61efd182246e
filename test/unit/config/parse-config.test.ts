import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installingNodes } from '../../../core/config/certificate-config.ts';
import { ConfigError, parseConfig } from '../../../core/config/parse-config.ts';
import { certificateHolders, eventAudience, nodeAudience } from '../../../core/fleet-audience.ts';

const example = readFileSync(join(import.meta.dirname, '..', '..', '..', 'examples', 'acme-ha.yaml'), 'utf8');

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'acme-ha.yaml');
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map((p) => `${p.line ?? '-'} ${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('certificate configuration', () => {
  it('reads the shipped example with its defaults applied', () => {
    const config = parseConfig(example, 'examples/acme-ha.yaml');
    expect(config.certificates.map((c) => c.id)).toEqual(['files', 'web']);
    expect(config.certificates[1]).toMatchObject({ keyType: 'ec-p256', challenge: 'http-01', dmz: [] });
    expect(config.renewal).toEqual({ concurrency: 2, maxOrdersPerRun: 50 });
  });

  it('lists every problem at once, each with its path and line', () => {
    const text = [
      'version: 1', //                          1
      'certificates:', //                       2
      '  - id: Bad_Id', //                      3
      '    domains: [ok.example.com, "not a name", ok.example.com, "*.wild.example.com"]', // 4
      '    keyType: dsa-1024', //                5
      '    keystores:', //                       6
      '      - format: jks', //                  7
      '    dmz: [nowhere]', //                   8
      '    colour: blue', //                     9
      'nodes:', //                              10
      '  - { id: n1, groups: [web] }', //       11
      'dmz: []', //                             12
    ].join('\n');
    const problems = problemsOf(text);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^3 certificates\[0\]\.id: must be 1–63 characters/),
        expect.stringMatching(/^4 certificates\[0\]\.domains\[1\]: not a valid DNS name/),
        expect.stringMatching(/^5 certificates\[0\]\.keyType: Invalid option/),
        expect.stringMatching(
          /^7 certificates\[0\]\.keystores\[0\]\.password: a jks keystore needs a password source/,
        ),
        expect.stringMatching(/^9 certificates\[0\]: Unrecognized key: "colour"/),
      ]),
    );
    // The cross-field checks run once the shapes are right.
    expect(
      problemsOf(
        text
          .replace('Bad_Id', 'ok')
          .replace('dsa-1024', 'rsa-2048')
          .replace('    colour: blue\n', '')
          .replace('- format: jks', '- format: pem'),
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/certificates\[0\]\.domains\[2\]: ok\.example\.com is listed twice/),
        expect.stringMatching(/certificates\[0\]\.domains\[3\]: wildcard names need the dns-01 challenge/),
        expect.stringMatching(/^8 certificates\[0\]\.dmz\[0\]: unknown DMZ instance nowhere/),
      ]),
    );
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('version: 1\ncertificates:\n  - id: a\n   domains: [x\n');
    expect(problems[0]).toBe('4 : Sequence item without - indicator');
  });

  it('refuses unknown groups, duplicate ids and unknown pushers', () => {
    const text = `version: 1
certificates:
  - { id: a, domains: [a.example.com], groups: [web, db], keystores: [{ format: pem }] }
  - { id: a, domains: [b.example.com], keystores: [{ format: pem }] }
nodes: [{ id: n1, groups: [web] }]
dmz: [{ id: d1, url: "https://d1.internal:8443", pushedBy: [n2] }]
`;
    expect(problemsOf(text)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/certificates\[1\]\.id: duplicate id a/),
        expect.stringMatching(/certificates\[0\]\.groups\[1\]: no node is in group db/),
        expect.stringMatching(/dmz\[0\]\.pushedBy\[0\]: unknown node n2/),
      ]),
    );
  });
});

/** A configuration with `certificates` over a fleet of two nodes and one DMZ instance. */
const fleet = (certificates: string) => `version: 1
certificates:
${certificates}
nodes:
  - { id: mft-1, groups: [mft] }
  - { id: mft-2, groups: [mft] }
dmz: [{ id: dmz-1, url: "https://dmz-1.internal:8443", pushedBy: [mft-1, mft-2] }]
`;

describe('where a certificate is installed (CrushFTP: "Server Instance" and "Replicate?")', () => {
  it('by groups, by named node, on DMZ instances only, or a combination', () => {
    const config = parseConfig(
      fleet(`  - { id: all, domains: [files.example.com], groups: [mft], dmz: [dmz-1], keystores: [{ format: pem }] }
  - { id: one, domains: [mft-1.example.com], nodes: [mft-1], keystores: [{ format: pem }] }
  - { id: edge, domains: [dmz.example.com], dmz: [dmz-1], publicEndpoint: dmz, keystores: [{ format: pem }] }`),
      'fleet.yaml',
    );
    expect(
      config.certificates.map((c) => ({
        id: c.id,
        nodes: installingNodes(config, c),
        dmz: c.dmz,
        at: c.publicEndpoint,
      })),
    ).toEqual([
      { id: 'all', nodes: ['mft-1', 'mft-2'], dmz: ['dmz-1'], at: 'internal' },
      { id: 'one', nodes: ['mft-1'], dmz: [], at: 'internal' },
      { id: 'edge', nodes: [], dmz: ['dmz-1'], at: 'dmz' },
    ]);
    // Who hears of each revision: the named node by its own audience entry.
    expect(config.certificates.map((c) => eventAudience(c))).toEqual([
      ['mft', 'dmz:dmz-1'],
      ['node:mft-1'],
      ['dmz:dmz-1'],
    ]);
    expect(nodeAudience(config, 'mft-2')).toEqual(['mft', 'node:mft-2', 'dmz:dmz-1']);
    expect(certificateHolders(config, 'one')).toEqual(['mft-1']);
    expect(certificateHolders(config, 'edge')).toEqual(['dmz:dmz-1']);
  });

  it('refuses a certificate installed nowhere once the fleet is declared, and says why', () => {
    const nowhere = '  - { id: lost, domains: [lost.example.com], keystores: [{ format: pem }] }';
    expect(problemsOf(fleet(nowhere))).toEqual([
      '3 certificates[0]: installed nowhere: no declared node is in its groups or named in its nodes, and it has no dmz (earlier releases accepted this; no node could read it)',
    ]);
    // Without declared nodes, any agent that targets it installs it (the embedded stack's ad-hoc nodes).
    expect(parseConfig(`version: 1\ncertificates:\n${nowhere}\n`, 'adhoc.yaml').certificates).toHaveLength(1);
  });

  it('refuses unknown named nodes and publicEndpoint: dmz without DMZ instances', () => {
    expect(
      problemsOf(
        fleet(
          `  - { id: a, domains: [a.example.com], nodes: [mft-9], publicEndpoint: dmz, keystores: [{ format: pem }] }`,
        ),
      ),
    ).toEqual(
      expect.arrayContaining([
        '3 certificates[0].nodes[0]: unknown node mft-9',
        '3 certificates[0].publicEndpoint: publicEndpoint: dmz needs the DMZ instances its names resolve to (dmz: [...])',
      ]),
    );
  });

  it('refuses every way of making a DMZ instance order or pull certificates', () => {
    const text = `version: 1
certificates:
  - { id: a, domains: [a.example.com], groups: [mft], nodes: [dmz-1], keystores: [{ format: pem }] }
nodes:
  - { id: mft-1, groups: [mft] }
  - { id: dmz-2, groups: [mft] }
dmz:
  - { id: dmz-1, url: "https://dmz-1.internal:8443", pushedBy: [mft-1, dmz-2] }
  - { id: dmz-2, url: "https://dmz-2.internal:8443", pushedBy: [dmz-1] }
`;
    expect(problemsOf(text)).toEqual([
      '3 certificates[0].nodes[0]: dmz-1 is a DMZ instance: list it under dmz (DMZ instances receive certificates, they never order or pull them)',
      '9 dmz[1].id: dmz-2 is declared as a node too: a DMZ instance never orders or pulls certificates (it only receives them from its pushers), so it cannot be a node',
      '9 dmz[1].pushedBy[0]: dmz-1 is a DMZ instance: only internal nodes push (a DMZ instance opens no connection inward)',
    ]);
  });
});
