/**
 * acme-ha as a stranger gets it: `npm pack`, the tarball installed into an empty project with
 * `--omit=dev`, then the bin, the public API's types, and a ten-line CDK app of their own that adds
 * `new AcmeHa(...)` next to its own bucket and synthesizes offline.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAll, ROOT } from '../../build/build.ts';
import { EMBEDDED_STACK_PACKAGES } from '../../cli/local/local-command.ts';
import { aPki, keyPemOf, pemOf } from '../support/pki.ts';
import { tempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** What the consumer's project installs besides acme-ha, at the versions this repository tests. */
const CONSUMER_DEPENDENCIES = ['aws-cdk-lib', 'constructs', 'typescript', 'tsx', '@types/node'].map(
  (name) => `${name}@${pkg.devDependencies[name]}`,
);

let project: string;
let tarballFiles: string[];
/** node_modules/ right after installing the tarball alone. */
let installedAlone: string[];

/** Runs in the consumer's project; never rejects, the exit code is in the result. */
async function inProject(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return run(command, args, {
    cwd: project,
    env: { ...process.env, ...env },
    maxBuffer: 32 * 1024 * 1024,
    timeout: 240_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : 1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

beforeAll(async () => {
  // dist/ as `npm pack` ships it: the test setup builds the code, the declarations are added here.
  await buildAll({ targets: ['api'], clean: false });
  const packDir = await tempDir('acme-ha-pack-');
  // --ignore-scripts: `prepare` would rebuild dist/ under the other suites' feet.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], {
    cwd: ROOT,
    maxBuffer: 32 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!packed) throw new Error('npm pack reported nothing');
  tarballFiles = packed.files.map((f) => f.path);
  project = await tempDir('acme-ha-consumer-');
  await writeFile(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`,
  );
  const npmInstall = async (specs: readonly string[]) => {
    const install = await inProject('npm', [
      'install',
      '--omit=dev',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      ...specs,
    ]);
    if (install.code !== 0) throw new Error(`npm install failed: ${install.stderr}`);
  };
  await npmInstall([join(packDir, packed.filename)]);
  installedAlone = readdirSync(join(project, 'node_modules'));
  // Then what the consumer's own CDK app and type check need.
  await npmInstall(CONSUMER_DEPENDENCIES);
}, 300_000);

describe('the npm package', () => {
  it('holds dist/, docs, examples, README, CHANGELOG and licence, and no sources or tests', () => {
    const tops = new Set(tarballFiles.map((path) => path.split('/')[0]));
    expect([...tops].sort()).toEqual(
      ['CHANGELOG.md', 'LICENSE', 'README.md', 'bin', 'dist', 'docs', 'examples', 'package.json'].sort(),
    );
    expect(tarballFiles.filter((path) => /\.ts$/.test(path) && !path.endsWith('.d.ts'))).toEqual([]);
    expect(tarballFiles).toEqual(
      expect.arrayContaining([
        'dist/cli/acme-ha.mjs',
        'dist/agent/acme-ha-agent.mjs',
        'dist/dmz/acme-ha-dmz.mjs',
        'dist/index.mjs',
        'dist/cdk.mjs',
        'dist/types/index.d.ts',
        'dist/types/cdk/index.d.ts',
        'dist/functions/renew/index.mjs',
        'dist/functions/respond-edge/index.mjs',
      ]),
    );
  });

  it('installs only what runs: no TypeScript loader, no build or test tools, no CDK', () => {
    expect(installedAlone).toEqual(
      expect.arrayContaining(['acme-ha', 'commander', '@aws-sdk', 'acme-client']),
    );
    for (const tool of ['esbuild', 'tsx', 'typescript', 'vitest', '@biomejs', 'aws-cdk', 'aws-cdk-lib'])
      expect(installedAlone, tool).not.toContain(tool);
    // The embedded stack's emulators come as optional dependencies (`local up|demo` only).
    expect(Object.keys(pkg.optionalDependencies).sort()).toEqual([...EMBEDDED_STACK_PACKAGES].sort());
    for (const emulator of EMBEDDED_STACK_PACKAGES) expect(installedAlone, emulator).toContain(emulator);
  });

  it('local up|demo name the optional emulators when an install left them out', async () => {
    // As after `npm install --omit=optional`: one of them moved away for this test, then back.
    const dynalite = join(project, 'node_modules', 'dynalite');
    await rename(dynalite, `${dynalite}.away`);
    try {
      const demo = await inProject('npx', ['acme-ha', 'local', 'demo']);
      expect(demo.code).toBe(1);
      expect(demo.stderr).toBe(
        `acme-ha: acme-ha local needs the embedded stack's emulators, optional dependencies that are not installed (dynalite): npm install ${EMBEDDED_STACK_PACKAGES.join(' ')}\n`,
      );
    } finally {
      await rename(`${dynalite}.away`, dynalite);
    }
  });

  it('npx acme-ha --version and keystore build work from the installed package', async () => {
    const version = await inProject('npx', ['acme-ha', '--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const pki = await aPki({ sans: ['files.example.com'] });
    await writeFile(join(project, 'key.pem'), keyPemOf(pki.leafKey));
    await writeFile(join(project, 'fullchain.pem'), pemOf(pki.chain));
    const build = await inProject(
      'npx',
      [
        'acme-ha',
        'keystore',
        'build',
        '--key',
        'key.pem',
        '--cert',
        'fullchain.pem',
        '--format',
        'pkcs12',
        '--out',
        'server.p12',
        '--password-env',
        'KEYSTORE_PASSWORD',
        '--json',
      ],
      { KEYSTORE_PASSWORD: 'changeit' },
    );
    expect(build.code, build.stderr).toBe(0);
    expect(JSON.parse(build.stdout)).toMatchObject({
      format: 'pkcs12',
      sans: ['files.example.com'],
      keyMatchesCertificate: true,
    });

    // The same through the public API, in the consumer's own process.
    const api = await inProject('node', [
      '--input-type=module',
      '-e',
      [
        "import { readFileSync } from 'node:fs';",
        "import { inspectKeystore, keystoreFromPem } from 'acme-ha';",
        "const built = keystoreFromPem({ keyPem: readFileSync('key.pem', 'utf8'), certificatePem: readFileSync('fullchain.pem', 'utf8'), format: 'jks', password: 'changeit' });",
        "console.log(JSON.stringify(inspectKeystore(built.output.bytes, 'changeit', 'in memory')));",
      ].join('\n'),
    ]);
    expect(api.code, api.stderr).toBe(0);
    expect(JSON.parse(api.stdout)).toMatchObject({
      format: 'jks',
      alias: 'acme-ha',
      keyMatchesCertificate: true,
    });
  });

  it('a ten-line CDK app adds AcmeHa to its own stack and synthesizes offline', async () => {
    await writeFile(
      join(project, 'acme-ha.yaml'),
      await readFile(join(ROOT, 'examples', 'acme-ha.yaml'), 'utf8'),
    );
    await writeFile(
      join(project, 'app.ts'),
      [
        "import { readFileSync } from 'node:fs';",
        "import { App, Stack } from 'aws-cdk-lib';",
        "import { Bucket } from 'aws-cdk-lib/aws-s3';",
        "import { parseConfig } from 'acme-ha';",
        "import { AcmeHa } from 'acme-ha/cdk';",
        '',
        "const app = new App({ outdir: 'cdk.out' });",
        "const stack = new Stack(app, 'Theirs');",
        "new Bucket(stack, 'TheirOwnBucket');",
        "new AcmeHa(stack, 'Certificates', { config: parseConfig(readFileSync('acme-ha.yaml', 'utf8'), 'acme-ha.yaml') });",
        'app.synth();',
        '',
      ].join('\n'),
    );
    const synth = await inProject('npx', ['tsx', 'app.ts']);
    expect(synth.code, synth.stderr).toBe(0);
    const template = JSON.parse(await readFile(join(project, 'cdk.out', 'Theirs.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::S3::Bucket').length).toBeGreaterThanOrEqual(2);
    expect(types).toEqual(
      expect.arrayContaining([
        'AWS::DynamoDB::Table',
        'AWS::Lambda::Function',
        'AWS::Lambda::Url',
        'AWS::SNS::Topic',
      ]),
    );
    const renewer = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.FunctionName === 'acme-ha-renew',
    );
    expect(renewer, 'the renewer function').toBeDefined();
  });

  it("importing acme-ha and acme-ha/cdk type-checks in the consumer's project", async () => {
    await writeFile(
      join(project, 'tsconfig.json'),
      `${JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2023',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            types: ['node'],
          },
          files: ['app.ts', 'use-api.ts'],
        },
        null,
        2,
      )}\n`,
    );
    await writeFile(
      join(project, 'use-api.ts'),
      [
        "import { type KeystoreReport, inspectKeystore, keystoreFromPem, type AcmeHaConfig } from 'acme-ha';",
        'export function report(keyPem: string, certificatePem: string): KeystoreReport {',
        "  const built = keystoreFromPem({ keyPem, certificatePem, format: 'pkcs12', password: 'changeit' });",
        "  if (built.output.kind !== 'file') throw new Error('a file');",
        "  return inspectKeystore(built.output.bytes, 'changeit', 'server.p12');",
        '}',
        'export const ids = (config: AcmeHaConfig): string[] => config.certificates.map((c) => c.id);',
        '',
      ].join('\n'),
    );
    const check = await inProject('npx', ['tsc', '-p', '.']);
    expect(check.code, `${check.stdout}${check.stderr}`).toBe(0);
  });
});
