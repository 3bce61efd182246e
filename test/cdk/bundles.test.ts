/**
 * The Lambda bundles build with the local esbuild and the settings the stack uses (cdk/node-function.ts),
 * and the built code loads and answers: the ESM output with its `require` banner runs the bundled
 * CommonJS dependencies, and each responder handles a request that needs no AWS call.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { ESBUILD_SHARED, FUNCTION_ENTRIES, functionEntry } from '../../cdk/node-function.ts';
import { edgeDefine } from '../../cdk/responder.ts';
import { parseConfig } from '../../core/config/parse-config.ts';
import { tempDir } from '../support/temp-dir.ts';
import { ROOT, synth } from './support/synth.ts';

let outdir: string;

beforeAll(async () => {
  outdir = await tempDir('acme-ha-bundles-');
  // One esbuild run per define set: the edge function gets its table and region compiled in.
  const shared = {
    ...ESBUILD_SHARED,
    mainFields: [...ESBUILD_SHARED.mainFields],
    banner: { js: ESBUILD_SHARED.banner },
    bundle: true,
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error' as const,
  };
  await Promise.all([
    build({
      ...shared,
      entryPoints: FUNCTION_ENTRIES.filter((e) => e !== 'respond-edge').map(functionEntry),
    }),
    build({
      ...shared,
      entryPoints: [functionEntry('respond-edge')],
      define: edgeDefine({ table: 'acme-ha', region: 'eu-west-1' }),
    }),
  ]);
}, 120_000);

describe('Lambda bundles', () => {
  it('exist for every entry the stack deploys, and every functions/*.ts is such an entry', () => {
    const files = readdirSync(join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'));
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual([...FUNCTION_ENTRIES].sort());
    for (const entry of FUNCTION_ENTRIES) {
      expect(existsSync(functionEntry(entry))).toBe(true);
      const bundle = join(outdir, `${entry}.mjs`);
      expect(existsSync(bundle), bundle).toBe(true);
      expect(statSync(bundle).size).toBeGreaterThan(1000);
    }
  });

  it('load in plain Node, export handler, and answer requests that need no table read', () => {
    // A child process: Node loads the bundles as Lambda would, without vitest transforming 2 MB files.
    const script = `
      const load = async (entry) => (await import(new URL(entry + '.mjs', ${JSON.stringify(pathToFileURL(`${outdir}/`).href)}).href)).handler;
      const results = {};
      for (const entry of ${JSON.stringify(FUNCTION_ENTRIES)}) results[entry] = typeof (await load(entry));
      const url = await load('respond-url');
      results.urlGet = await url({ rawPath: '/.well-known/acme-challenge/x', requestContext: { http: { method: 'GET' } } });
      results.urlPost = await url({ rawPath: '/.well-known/acme-challenge/x', requestContext: { http: { method: 'POST' } } });
      results.alb = await (await load('respond-alb'))({ httpMethod: 'GET', path: '/.well-known/acme-challenge/short' });
      results.edge = await (await load('respond-edge'))({ Records: [{ cf: { request: { method: 'GET', uri: '/index.html' } } }] });
      console.log(JSON.stringify(results));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ACME_HA_TABLE: 'acme-ha', AWS_REGION: 'eu-west-1', NODE_NO_WARNINGS: '1' },
      encoding: 'utf8',
    });
    const results = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    for (const entry of FUNCTION_ENTRIES) expect(results[entry], entry).toBe('function');
    expect(results.urlGet).toMatchObject({ statusCode: 404 });
    expect(results.urlPost).toMatchObject({ statusCode: 405, headers: { allow: 'GET, HEAD' } });
    expect(results.alb).toMatchObject({ statusCode: 404, statusDescription: '404 Not Found' });
    expect(results.edge).toEqual({ method: 'GET', uri: '/index.html' });
  });
});

describe('the renewer bundle built by cdk synth', () => {
  it('carries the validated configuration as the file ACME_HA_CONFIG_FILE names', async () => {
    const out = await tempDir('acme-ha-cdk-bundle-');
    const { template } = synth({ outdir: out, bundle: ['AcmeHa'] });
    const [renewer] = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'acme-ha-renew' } }),
    ) as { Properties: { Code: { S3Key: string }; Environment: { Variables: Record<string, string> } } }[];
    if (!renewer) throw new Error('no renewer function');
    const asset = join(out, `asset.${renewer.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    expect(existsSync(join(asset, 'index.mjs')), asset).toBe(true);
    const file = join(asset, renewer.Properties.Environment.Variables.ACME_HA_CONFIG_FILE ?? '');
    const expected = parseConfig(readFileSync(join(ROOT, 'examples', 'acme-ha.yaml'), 'utf8'), 'example');
    expect(parseConfig(readFileSync(file, 'utf8'), file)).toEqual(expected);
  }, 120_000);
});
