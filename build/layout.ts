/**
 * The layout by deployable (docs/architecture.md): each top-level folder is a part, and this table
 * says what each part may import. It is the one source of two checks: the linter's import rules
 * (`npm run lint:layout` writes them into biome.json; test/unit/architecture.test.ts fails when they
 * are stale and proves each one fires) and the architecture test's walk of the real import graph.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ImportRules {
  /** The parts whose files it may import (its own always). `'*'`: every part but those in `never`. */
  readonly mayImport: readonly string[] | '*';
  /** Parts, or folders of one (`adapters/aws`), never to import, even where `mayImport` allows the part. */
  readonly never: readonly string[];
  /** npm packages and Node modules it may not import (gitignore-style globs, as biome takes them). */
  readonly packages: readonly PackageRule[];
  /** The linter's message for a forbidden import of another part. */
  readonly message: string;
}

export interface Part extends ImportRules {
  readonly name: string;
  /** Folders of the part with rules of their own (whatever they do not set, they take from the part). */
  readonly exceptions?: readonly ({ readonly folder: string } & Partial<ImportRules>)[];
}

export interface PackageRule {
  readonly group: readonly string[];
  readonly message: string;
}

const NO_AWS: PackageRule = {
  group: ['@aws-sdk/*', '@aws-lambda-powertools/*'],
  message: 'No AWS code here: implement a port in adapters/aws/ and pass it in.',
};
const NO_ACME: PackageRule = {
  group: ['acme-client'],
  message: 'Only adapters/acme/ may import acme-client.',
};
const NO_CDK: PackageRule = {
  group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag'],
  message: 'CDK code belongs in cdk/.',
};
const NO_DEV_TOOLS: PackageRule = {
  group: ['esbuild', 'tsx', 'tsx/*', 'vitest', 'vitest/*'],
  message: 'Build and test tools are development dependencies: never in code that ships.',
};
const NO_IO: PackageRule = {
  group: [
    'node:fs',
    'node:fs/*',
    'node:child_process',
    'node:net',
    'node:http',
    'node:https',
    'node:tls',
    'node:dgram',
    'node:dns',
  ],
  message: 'core/ is pure: file, process and network I/O belong in adapters/.',
};

/** What every part that ships (core aside) may not import. */
const SHIPPED = [NO_ACME, NO_CDK, NO_DEV_TOOLS];

export const PARTS: readonly Part[] = [
  {
    name: 'core',
    mayImport: [],
    never: [],
    packages: [NO_IO, NO_AWS, ...SHIPPED],
    message: 'Dependencies point inward: core/ imports nothing outside core/.',
  },
  {
    name: 'adapters',
    mayImport: ['core'],
    never: [],
    packages: SHIPPED,
    message: 'adapters/ implement the ports of core/ and import core/ only.',
    exceptions: [{ folder: 'acme', packages: [NO_CDK, NO_DEV_TOOLS] }],
  },
  {
    name: 'agent',
    mayImport: ['core', 'adapters'],
    never: [],
    packages: SHIPPED,
    message: 'agent/ (the node agent) imports adapters/ and core/ only.',
  },
  {
    name: 'dmz',
    mayImport: ['core', 'adapters'],
    never: ['adapters/aws', 'adapters/acme'],
    packages: [NO_AWS, ...SHIPPED],
    message: 'dmz/ (the DMZ receiver) imports adapters/ and core/ only, and never AWS or ACME code.',
  },
  {
    name: 'functions',
    mayImport: ['core', 'adapters'],
    never: [],
    packages: SHIPPED,
    message: 'functions/ (the Lambda entry points) import adapters/ and core/ only.',
  },
  {
    name: 'cdk',
    mayImport: ['core', 'adapters'],
    never: [],
    // The Lambda code ships prebuilt (dist/functions/): no bundler at synth.
    packages: [NO_ACME, NO_DEV_TOOLS],
    message: 'cdk/ imports adapters/ and core/ only.',
  },
  {
    name: 'cli',
    mayImport: '*',
    never: ['local'],
    packages: SHIPPED,
    message:
      'cli/ may import every part but local/: only the local command (cli/local/) loads the embedded stack.',
    exceptions: [{ folder: 'local', never: [] }],
  },
  {
    name: 'local',
    mayImport: '*',
    never: ['cli'],
    packages: [NO_ACME, NO_CDK],
    message: 'local/ (the embedded stack) may import every part but cli/.',
  },
  { name: 'bin', mayImport: '*', never: [], packages: [], message: '' },
  { name: 'build', mayImport: '*', never: [], packages: [], message: '' },
  { name: 'test', mayImport: '*', never: [], packages: [], message: '' },
  { name: 'bench', mayImport: '*', never: [], packages: [], message: '' },
];

/** The rules for a file (a path relative to the repository root), or null when it is in no part. */
export function rulesFor(file: string): (ImportRules & { readonly part: string }) | null {
  const [top, sub] = file.split('/');
  const part = PARTS.find((p) => p.name === top);
  if (!part || sub === undefined) return null;
  const exception = file.split('/').length > 2 ? part.exceptions?.find((e) => e.folder === sub) : undefined;
  return { ...part, ...exception, part: part.name };
}

/** Whether a file of the repository may import another (both relative to the repository root). */
export function mayImport(from: string, to: string): boolean {
  const rules = rulesFor(from);
  const target = to.split('/')[0] ?? '';
  if (!rules || target === rules.part) return true;
  if (rules.never.some((folder) => to === folder || to.startsWith(`${folder}/`))) return false;
  return rules.mayImport === '*' || rules.mayImport.includes(target);
}

/**
 * How deep each part's TypeScript files sit (`core/errors.ts` 1, `core/agent/sync/x.ts` 3): the
 * generated rules cover exactly these depths, so a deeper new folder makes them stale (and the
 * architecture test says so).
 */
export function partDepths(root: string): Map<string, number> {
  const depths = new Map<string, number>();
  const walk = (dir: string, part: string, depth: number) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), part, depth + 1);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
        depths.set(part, Math.max(depths.get(part) ?? 0, depth));
    }
  };
  for (const part of PARTS) if (existsSync(join(root, part.name))) walk(part.name, part.name, 1);
  return depths;
}

/**
 * Biome overrides that enforce the table. Biome matches an import's specifier, not the file it
 * resolves to, so each rule is written for one nesting depth: from `core/agent/x.ts`, `../../`
 * leaves core/, and what follows says where to. Gitignore semantics: a later `!` pattern allows
 * again, a later plain one forbids again.
 */
export function lintOverrides(depths: ReadonlyMap<string, number>): object[] {
  const overrides: object[] = [];
  for (const part of PARTS) {
    const variants = [
      { folder: null as string | null, rules: part as ImportRules },
      ...(part.exceptions ?? []).map((e) => ({ folder: e.folder, rules: { ...part, ...e } as ImportRules })),
    ];
    for (const { folder, rules } of variants) {
      const packages = rules.packages.map((p) => ({ group: [...p.group], message: p.message }));
      for (let depth = 1; depth <= (depths.get(part.name) ?? 0); depth++) {
        const up = '../'.repeat(depth);
        const group =
          rules.mayImport === '*'
            ? rules.never.map((n) => `${up}${n}/**`)
            : [
                `${up}**`,
                `!${up}${part.name}/**`,
                ...rules.mayImport.map((p) => `!${up}${p}/**`),
                ...rules.never.map((n) => `${up}${n}/**`),
              ];
        const patterns = [...(group.length > 0 ? [{ group, message: rules.message }] : []), ...packages];
        if (patterns.length === 0) continue;
        const stars = '*/'.repeat(depth - 1);
        const includes =
          folder === null
            ? [
                `${part.name}/${stars}*.ts`,
                ...(part.exceptions ?? []).map((e) => `!${part.name}/${e.folder}/**`),
              ]
            : depth === 1
              ? []
              : [`${part.name}/${folder}/${'*/'.repeat(depth - 2)}*.ts`];
        if (includes.length === 0) continue;
        overrides.push({
          includes,
          linter: {
            rules: { style: { noRestrictedImports: { level: 'error', options: { patterns } } } },
          },
        });
      }
    }
  }
  return overrides;
}
