/**
 * The layout by deployable (build/layout.ts, docs/architecture.md), checked twice: the linter's
 * import rules, proven to fire by linting probe files in a scratch copy of the configuration (the
 * real tree is never touched), and the real import graph, walked with the TypeScript parser.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  findCycles,
  type ImportGraph,
  importGraph,
  layoutViolations,
  loadedAtStart,
} from '../../build/import-graph.ts';
import { lintOverrides, mayImport, partDepths } from '../../build/layout.ts';
import { VERSION } from '../../cli/version.ts';
import { tempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');

/** [file, import, the message it gets] */
const FORBIDDEN: readonly [string, string, RegExp][] = [
  ['core/probe.ts', 'node:fs', /core\/ is pure: file, process and network I\/O belong in adapters\//],
  ['core/agent/probe.ts', 'node:child_process', /core\/ is pure/],
  ['core/probe.ts', '@aws-sdk/client-s3', /No AWS code here/],
  ['core/probe.ts', '../adapters/fs/atomic-file.ts', /Dependencies point inward/],
  ['core/agent/probe.ts', '../../dmz/receiver-server.ts', /Dependencies point inward/],
  ['core/agent/probe.ts', 'acme-client', /Only adapters\/acme\/ may import acme-client/],
  ['adapters/fs/probe.ts', '../../agent/compose-agent.ts', /adapters\/ implement the ports of core\//],
  ['adapters/aws/probe.ts', 'acme-client', /Only adapters\/acme\/ may import acme-client/],
  ['adapters/fs/probe.ts', 'aws-cdk-lib', /CDK code belongs in cdk\//],
  ['agent/probe.ts', '../local/stack.ts', /agent\/ \(the node agent\) imports adapters\/ and core\/ only/],
  ['agent/probe.ts', '../cli/io.ts', /agent\/ \(the node agent\)/],
  ['agent/probe.ts', '../dmz/receiver-server.ts', /agent\/ \(the node agent\)/],
  ['agent/install/probe.ts', '../../functions/renew.ts', /agent\/ \(the node agent\)/],
  ['agent/probe.ts', 'esbuild', /development dependencies/],
  ['dmz/probe.ts', '../adapters/aws/dynamo-lock.ts', /never AWS or ACME code/],
  ['dmz/probe.ts', '../adapters/acme/acme-client-issuer.ts', /never AWS or ACME code/],
  ['dmz/probe.ts', '../agent/compose-agent.ts', /dmz\/ \(the DMZ receiver\)/],
  ['dmz/probe.ts', '@aws-sdk/client-sqs', /No AWS code here/],
  ['functions/probe.ts', '../agent/compose-agent.ts', /functions\/ \(the Lambda entry points\)/],
  ['functions/commons/probe.ts', '../../local/stack.ts', /functions\/ \(the Lambda entry points\)/],
  ['cdk/probe.ts', '../functions/renew.ts', /cdk\/ imports adapters\/ and core\/ only/],
  ['cdk/probe.ts', 'esbuild', /development dependencies/],
  ['cli/probe.ts', '../local/stack.ts', /only the local command \(cli\/local\/\) loads the embedded stack/],
  ['cli/status/probe.ts', '../../local/stack.ts', /only the local command/],
  ['local/probe.ts', '../cli/io.ts', /local\/ \(the embedded stack\) may import every part but cli\//],
  ['local/demo/probe.ts', '../../cli/main.ts', /may import every part but cli\//],
];

/** [file, import] */
const ALLOWED: readonly [string, string][] = [
  ['core/agent/probe.ts', '../dmz/push-to-dmz.ts'],
  ['core/probe.ts', 'node:crypto'],
  ['adapters/acme/probe.ts', 'acme-client'],
  ['adapters/aws/probe.ts', '../../core/errors.ts'],
  ['agent/probe.ts', '../adapters/http/challenge-responder.ts'],
  ['dmz/probe.ts', '../adapters/http/challenge-responder.ts'],
  ['dmz/probe.ts', '../core/dmz/receive-push.ts'],
  ['functions/commons/probe.ts', '../../adapters/aws/aws-clients.ts'],
  ['cli/local/probe.ts', '../../local/stack.ts'],
  ['cli/probe.ts', '../agent/compose-agent.ts'],
  ['local/demo/probe.ts', '../../agent/compose-agent.ts'],
];

/** The linter's messages for each probe: one probe file per case, linted in one run of biome. */
let messages: string[][];

beforeAll(async () => {
  const scratch = await tempDir();
  copyFileSync(join(ROOT, 'biome.json'), join(scratch, 'biome.json'));
  const cases = [...FORBIDDEN, ...ALLOWED];
  const paths = cases.map(([file], i) => file.replace(/probe\.ts$/, `probe-${i}.ts`));
  cases.forEach(([, specifier], i) => {
    const path = join(scratch, paths[i] ?? '');
    mkdirSync(join(path, '..'), { recursive: true });
    // One import, used, so the linter does not drop it as unused.
    writeFileSync(path, `import * as imported from '${specifier}';\n\nexport const used = imported;\n`);
  });
  const result = await run(BIOME, ['lint', '--vcs-enabled=false', '--reporter=json', '.'], {
    cwd: scratch,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout: string }) => error);
  const report = JSON.parse(result.stdout) as {
    diagnostics: { category: string; message: string; location: { path: string } }[];
  };
  messages = paths.map((path) =>
    report.diagnostics
      .filter((d) => d.location.path === path && d.category === 'lint/style/noRestrictedImports')
      .map((d) => d.message),
  );
});

describe('the linter refuses every import the layout forbids', () => {
  it('its rules are the ones build/layout.ts makes (`npm run lint:layout` writes them)', () => {
    const biome = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')) as { overrides: unknown };
    expect(biome.overrides).toEqual(lintOverrides(partDepths(ROOT)));
  });

  it.each(FORBIDDEN.map(([file, specifier, message], i) => ({ file, specifier, message, i })))(
    '$file may not import $specifier',
    ({ message, i }) => {
      expect(messages[i]?.join('\n')).toMatch(message);
    },
  );

  it.each(ALLOWED.map(([file, specifier], i) => ({ file, specifier, i: FORBIDDEN.length + i })))(
    '$file may import $specifier',
    ({ i }) => {
      expect(messages[i]).toEqual([]);
    },
  );
});

describe('the import graph', () => {
  let graph: ImportGraph;
  beforeAll(() => {
    graph = importGraph(ROOT);
  });

  it('reads every part, with static, type-only and dynamic edges', () => {
    expect(graph.size).toBeGreaterThan(200);
    const kinds = new Set([...graph.values()].flat().map((edge) => edge.kind));
    expect(kinds).toEqual(new Set(['static', 'type', 'dynamic']));
  });

  it('crosses no boundary of the layout', () => {
    expect(layoutViolations(graph)).toEqual([]);
  });

  it('has no cycle, lazy and type-only imports included', () => {
    expect(findCycles(graph).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('reaches local/ from cli/ only through the local command', () => {
    const intoLocal = [...graph.values()]
      .flat()
      .filter((edge) => edge.from.startsWith('cli/') && edge.to.startsWith('local/'));
    expect(intoLocal.length).toBeGreaterThan(0);
    expect(intoLocal.filter((edge) => !edge.from.startsWith('cli/local/'))).toEqual([]);
  });

  it.each(['cli/main.ts', 'cli/agent-entry.ts', 'cli/dmz-entry.ts'])(
    '%s loads neither the embedded stack nor a runner at start',
    (entry) => {
      const loaded = [...loadedAtStart(graph, entry)];
      expect(loaded).toContain('cli/shell.ts');
      expect(loaded.filter((file) => file.startsWith('local/') || /-runner\.ts$/.test(file))).toEqual([]);
    },
  );

  it('the checks can fail: a forbidden edge, a cycle, a static path into local/', () => {
    const edges = (list: [string, string, 'static' | 'type' | 'dynamic'][]): ImportGraph => {
      const made = new Map<string, { from: string; to: string; kind: 'static' | 'type' | 'dynamic' }[]>();
      for (const [from, to, kind] of list) made.set(from, [...(made.get(from) ?? []), { from, to, kind }]);
      for (const [, to] of list) if (!made.has(to)) made.set(to, []);
      return made;
    };
    expect(mayImport('dmz/x.ts', 'adapters/aws/dynamo-lock.ts')).toBe(false);
    expect(mayImport('dmz/x.ts', 'adapters/fs/atomic-file.ts')).toBe(true);
    expect(mayImport('cli/status/x.ts', 'local/stack.ts')).toBe(false);
    expect(mayImport('cli/local/x.ts', 'local/stack.ts')).toBe(true);
    expect(layoutViolations(edges([['agent/a.ts', 'local/b.ts', 'dynamic']]))).toHaveLength(1);
    expect(
      findCycles(
        edges([
          ['cli/a.ts', 'cli/b.ts', 'dynamic'],
          ['cli/b.ts', 'cli/a.ts', 'type'],
        ]),
      ),
    ).toHaveLength(1);
    const lazy = edges([
      ['cli/main.ts', 'cli/local/c.ts', 'static'],
      ['cli/local/c.ts', 'local/stack.ts', 'dynamic'],
    ]);
    expect(loadedAtStart(lazy, 'cli/main.ts').has('local/stack.ts')).toBe(false);
    const eager = edges([
      ['cli/main.ts', 'cli/local/c.ts', 'static'],
      ['cli/local/c.ts', 'local/stack.ts', 'static'],
    ]);
    expect(loadedAtStart(eager, 'cli/main.ts').has('local/stack.ts')).toBe(true);
  });
});

it('every executable reports the version of package.json', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  expect(VERSION).toBe(pkg.version);
});
