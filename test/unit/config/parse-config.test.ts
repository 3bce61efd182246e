import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../core/config/parse-config.ts';

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
        expect.stringMatching(/^3 certificates\[0\]: Unrecognized key: "colour"/),
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
