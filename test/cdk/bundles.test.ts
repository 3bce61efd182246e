/**
 * The prebuilt Lambda code the constructs deploy: dist/functions/<name>/, written by `npm run build`
 * (the test setup builds it too). It exists for every entry, loads in plain Node as Lambda loads it
 * (the ESM output with its `require` banner runs the bundled CommonJS dependencies), each responder
 * answers a request that needs no table read, and the edge function takes its table and region
 * from the JSON file cdk/responder.ts writes beside it — proven against a DynamoDB stand-in.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  FUNCTION_ENTRIES,
  FUNCTION_FILE,
  functionAssetDir,
  functionEntry,
} from '../../cdk/function-bundle.ts';
import { RENEWER_CONFIG_FILE } from '../../cdk/renewer.ts';
import { EDGE_SETTINGS_FILE } from '../../cdk/responder.ts';
import { parseConfig } from '../../core/config/parse-config.ts';
import { PENDING_CHALLENGES_KEY } from '../../core/table-keys.ts';
import { tempDir } from '../support/temp-dir.ts';
import { functionCodeDir } from './support/assets.ts';
import { ROOT, synth } from './support/synth.ts';

const run = promisify(execFile);

/** Runs `script` as an ES module in a plain Node child and returns the JSON of its last line. */
async function inNode(script: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const { AWS_PROFILE: _profile, ...inherited } = process.env;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...inherited, NODE_NO_WARNINGS: '1', ...env },
    encoding: 'utf8',
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

/** `const load = (dir) => handler of dir/index.mjs`, as a line of a child script. */
const LOADER = `const load = async (dir) => (await import(new URL('${FUNCTION_FILE}', dir).href)).handler;`;
const dirUrl = (dir: string): string => JSON.stringify(pathToFileURL(`${dir.replace(/\/$/, '')}/`).href);

describe('the prebuilt Lambda code in dist/functions', () => {
  it('exists for every entry the constructs deploy, and every functions/*.ts is such an entry', () => {
    const files = readdirSync(join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'));
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual([...FUNCTION_ENTRIES].sort());
    for (const entry of FUNCTION_ENTRIES) {
      expect(existsSync(functionEntry(entry))).toBe(true);
      const code = join(functionAssetDir(entry), FUNCTION_FILE);
      expect(existsSync(code), `${code} (run npm run build)`).toBe(true);
      expect(statSync(code).size).toBeGreaterThan(1000);
      // Source maps beside the code: the functions run with NODE_OPTIONS=--enable-source-maps.
      expect(existsSync(`${code}.map`), `${code}.map`).toBe(true);
    }
  });

  it('loads in plain Node, exports handler, and answers requests that need no table read', async () => {
    const script = `
      ${LOADER}
      const dir = (entry) => new URL(entry + '/', ${dirUrl(join(ROOT, 'dist', 'functions'))});
      const results = {};
      for (const entry of ${JSON.stringify(FUNCTION_ENTRIES)}) results[entry] = typeof (await load(dir(entry)));
      const url = await load(dir('respond-url'));
      results.urlGet = await url({ rawPath: '/.well-known/acme-challenge/x', requestContext: { http: { method: 'GET' } } });
      results.urlPost = await url({ rawPath: '/.well-known/acme-challenge/x', requestContext: { http: { method: 'POST' } } });
      results.alb = await (await load(dir('respond-alb')))({ httpMethod: 'GET', path: '/.well-known/acme-challenge/short' });
      // dist/functions/respond-edge/ has no settings file: only the deployed copy does.
      const edge = await load(dir('respond-edge'));
      results.edgeWithoutSettings = await edge({ Records: [{ cf: { request: { method: 'GET', uri: '/index.html' } } }] })
        .then(() => 'answered', (error) => ({ name: error.name, code: error.code, message: error.message }));
      console.log(JSON.stringify(results));
    `;
    const results = await inNode(script, { ACME_HA_TABLE: 'acme-ha', AWS_REGION: 'eu-west-1' });
    for (const entry of FUNCTION_ENTRIES) expect(results[entry], entry).toBe('function');
    expect(results.urlGet).toMatchObject({ statusCode: 404 });
    expect(results.urlPost).toMatchObject({ statusCode: 405, headers: { allow: 'GET, HEAD' } });
    expect(results.alb).toMatchObject({ statusCode: 404, statusDescription: '404 Not Found' });
    expect(results.edgeWithoutSettings).toEqual({
      name: 'EdgeSettingsError',
      code: 'EDGE_SETTINGS',
      message: expect.stringContaining(
        `${join(functionAssetDir('respond-edge'), EDGE_SETTINGS_FILE)} cannot be read`,
      ),
    });
  });

  it('answers at the edge from the table and home region named in the JSON file beside it', async () => {
    const deployed = await tempDir('acme-ha-edge-');
    cpSync(functionAssetDir('respond-edge'), deployed, { recursive: true });
    writeFileSync(
      join(deployed, EDGE_SETTINGS_FILE),
      JSON.stringify({ table: 'certs', region: 'eu-west-1' }),
    );

    // A DynamoDB stand-in that records the request and holds one challenge token in flight.
    const requests: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
    const token = 'tok_0123456789abcdef';
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        requests.push({ headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            Item: {
              pk: { S: PENDING_CHALLENGES_KEY.pk },
              sk: { S: PENDING_CHALLENGES_KEY.sk },
              [`token:${token}`]: {
                M: {
                  keyAuthorization: { S: `${token}.thumbprint` },
                  validUntil: { N: String(Date.now() + 600_000) },
                },
              },
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const script = `
        ${LOADER}
        const edge = await load(${dirUrl(deployed)});
        const request = (uri) => ({ Records: [{ cf: { request: { method: 'GET', uri } } }] });
        console.log(JSON.stringify({
          challenge: await edge(request('/.well-known/acme-challenge/${token}')),
          other: await edge(request('/index.html')),
        }));
      `;
      const results = await inNode(script, {
        // Lambda@Edge runs in the region nearest the viewer; the table stays in its home region.
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`,
        AWS_ACCESS_KEY_ID: 'AKIDEDGETEST',
        AWS_SECRET_ACCESS_KEY: 'edge-test-secret',
      });
      expect(results.challenge).toMatchObject({ status: '200', body: `${token}.thumbprint` });
      expect(results.other).toEqual({ method: 'GET', uri: '/index.html' });
      expect(requests).toHaveLength(1);
      const [read] = requests;
      expect(read?.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
      expect(read?.body).toMatchObject({
        TableName: 'certs',
        Key: { pk: { S: PENDING_CHALLENGES_KEY.pk }, sk: { S: PENDING_CHALLENGES_KEY.sk } },
      });
      expect(read?.headers.authorization).toContain('/eu-west-1/dynamodb/aws4_request');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('the renewer code staged by cdk synth', () => {
  it('is the prebuilt code with the validated configuration as the file ACME_HA_CONFIG_FILE names', async () => {
    const out = await tempDir('acme-ha-cdk-code-');
    const { template, stack } = synth({ outdir: out });
    const [renewer] = Object.entries(
      template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'acme-ha-renew' } }),
    ) as [string, { Properties: { Environment: { Variables: Record<string, string> } } }][];
    if (!renewer) throw new Error('no renewer function');
    const [logicalId, resource] = renewer;
    const asset = functionCodeDir(stack, logicalId);
    expect(
      readFileSync(join(asset, FUNCTION_FILE)).equals(
        readFileSync(join(functionAssetDir('renew'), FUNCTION_FILE)),
      ),
    ).toBe(true);
    const name = resource.Properties.Environment.Variables.ACME_HA_CONFIG_FILE ?? '';
    expect(name).toBe(RENEWER_CONFIG_FILE);
    const expected = parseConfig(readFileSync(join(ROOT, 'examples', 'acme-ha.yaml'), 'utf8'), 'example');
    expect(parseConfig(readFileSync(join(asset, name), 'utf8'), name)).toEqual(expected);
  });
});
