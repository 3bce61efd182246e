/**
 * Security promises checked on a real run: a renewal on Pebble (acme-client's own log included, at
 * debug level) and an agent sync of JKS, PKCS#12 and PEM targets, including failing runs (wrong
 * password, S3 refusing). Every JSON log line is searched for key and password material: PEM
 * private-key markers, the keystore passwords, the base64 and hex of the private key's DER (leaf
 * and ACME account key), and the keystore bytes. None may appear. The files land with the
 * configured mode (0600 by default, 0640 where configured) and nothing world-readable is left.
 */
import { createPrivateKey } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../adapters/aws/aws-clients.ts';
import { JsonLogger } from '../../adapters/logging/json-logger.ts';
import { createAgent } from '../../agent/compose-agent.ts';
import { reconcileAll } from '../../core/agent/agent-loop.ts';
import { agentConfigSchema } from '../../core/config/agent-config.ts';
import { parseConfig } from '../../core/config/parse-config.ts';
import { runRenewals } from '../../core/renewal/run-renewals.ts';
import { stackStores } from '../support/agent-revisions.ts';
import { faultPlane } from '../support/fault-control-plane.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { useLocalStack } from '../support/local-stack.ts';
import { tempDir } from '../support/temp-dir.ts';

const JKS_PASSWORD = 'Jks-S3cret-7f3a9c';
const P12_PASSWORD = 'P12-S3cret-2b8e41';
const CERT = 'secret-app';
const stack = useLocalStack({ prefix: 'fault-secrets', nodes: ['sec1'] });
const lines: string[] = [];
let clients: AwsClients;
let s3proxy: FaultProxy;
let base: string;

beforeAll(async () => {
  clients = createAwsClients(stack().clientConfigs);
  s3proxy = await startFaultProxy(stack().endpoints.s3);
  base = await tempDir('acme-ha-fault-secrets-');
});
afterAll(async () => {
  clients?.destroy();
  await s3proxy?.stop();
});

function logger(service: string): JsonLogger {
  return new JsonLogger((l) => lines.push(l), service, 'debug');
}

describe('secrets never in logs; files with the configured mode', () => {
  it('a renewal and agent syncs (good and failing) log no key or password material', async () => {
    const config = parseConfig(
      JSON.stringify({
        version: 1,
        defaults: { directory: stack().pebble?.directoryUrl },
        certificates: [
          {
            id: CERT,
            domains: ['secret.acme-ha.test'],
            groups: ['web'],
            keystores: [
              { format: 'jks', alias: 'server', password: { env: 'JKS_PW' } },
              { format: 'pkcs12', alias: 'server', password: { env: 'P12_PW' } },
              { format: 'pem' },
            ],
          },
        ],
      }),
      'secrets config',
    );
    const env = { JKS_PW: JKS_PASSWORD, P12_PW: P12_PASSWORD };
    const p = faultPlane(stack(), { owner: 'secrets', log: logger('renewer'), env });
    try {
      const result = await runRenewals(config, p.plane, { force: true });
      expect(result.outcomes).toEqual([expect.objectContaining({ result: 'renewed' })]);
    } finally {
      p.close();
    }

    const dir = join(base, 'node');
    await mkdir(join(dir, 'pem'), { recursive: true });
    const agentConfig = (s3: string, jksPasswordEnv: string) =>
      agentConfigSchema.parse({
        version: 1,
        node: { id: 'sec1', groups: ['web'] },
        aws: {
          region: stack().region,
          table: stack().resources.tableName,
          bucket: stack().resources.bucket,
          queueUrl: stack().resources.queues.sec1?.url,
          endpoints: { dynamodb: stack().endpoints.dynamodb, s3, sqs: stack().endpoints.sqs },
        },
        stateDirectory: join(dir, 'state'),
        targets: [
          {
            certificateId: CERT,
            format: 'jks',
            path: join(dir, 'server.jks'),
            alias: 'server',
            password: { env: jksPasswordEnv },
          },
          {
            certificateId: CERT,
            format: 'pkcs12',
            path: join(dir, 'server.p12'),
            password: { env: 'P12_PW' },
            mode: '0640',
          },
          { certificateId: CERT, format: 'pem', path: join(dir, 'pem') },
        ],
      });
    const run = async (s3: string, jksPasswordEnv: string, agentEnv: Record<string, string>) => {
      const runtime = await createAgent(agentConfig(s3, jksPasswordEnv), {
        log: logger('agent'),
        env: agentEnv,
        clientConfigs: {
          dynamodb: stack().clientConfigs.dynamodb,
          s3: { ...stack().clientConfigs.s3, endpoint: s3 },
          sqs: stack().clientConfigs.sqs,
        },
        pollMs: 20,
      });
      try {
        return (await reconcileAll(runtime.deps, runtime.options)).map((o) => o.result);
      } finally {
        runtime.close();
      }
    };
    // Failing first: a wrong JKS password (rejected), then S3 refusing (failed); then the good sync.
    expect(
      await run(stack().endpoints.s3, 'WRONG_PW', {
        WRONG_PW: `${JKS_PASSWORD}-wrong`,
        P12_PW: P12_PASSWORD,
      }),
    ).toEqual(['rejected']);
    s3proxy.setMode('refuse');
    expect(await run(s3proxy.url, 'JKS_PW', env)).toEqual(['failed']);
    s3proxy.setMode('on');
    expect(await run(stack().endpoints.s3, 'JKS_PW', env)).toEqual(['applied']);

    // The secrets to look for.
    const stores = stackStores(stack(), clients);
    const revision = (await stores.state.get(CERT)).current;
    if (!revision) throw new Error('no revision');
    const objectBytes = await Promise.all(revision.objects.map((o) => stores.keystores.get(o.key)));
    const privkey = objectBytes[revision.objects.findIndex((o) => o.name === 'privkey.pem')];
    if (!privkey) throw new Error('no privkey.pem');
    const keyDer = createPrivateKey(privkey).export({ format: 'der', type: 'pkcs8' });
    const accountObjects = await clients.s3.send(
      new (await import('@aws-sdk/client-s3')).ListObjectsV2Command({
        Bucket: stack().resources.bucket,
        Prefix: 'accounts/',
      }),
    );
    const accountSecrets: string[] = [];
    for (const o of accountObjects.Contents ?? []) {
      const text = (await stores.keystores.get(o.Key ?? '')).toString('utf8');
      const pem = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/.exec(
        text.replace(/\\n/g, '\n'),
      )?.[0];
      if (pem)
        accountSecrets.push(
          createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' }).toString('base64').slice(20, 80),
        );
    }
    expect(accountSecrets.length).toBeGreaterThan(0);
    const needles: [string, string][] = [
      ['PEM private key marker', 'PRIVATE KEY'],
      ['JKS password', JKS_PASSWORD],
      ['PKCS#12 password', P12_PASSWORD],
      ['wrong JKS password', `${JKS_PASSWORD}-wrong`],
      ['leaf key DER (base64)', keyDer.toString('base64').slice(20, 80)],
      ['leaf key DER (base64url)', keyDer.toString('base64url').slice(20, 80)],
      ['leaf key DER (hex)', keyDer.toString('hex').slice(40, 120)],
      ...accountSecrets.map((s): [string, string] => ['ACME account key DER (base64)', s]),
      ...objectBytes
        .filter((_b, i) => revision.objects[i]?.format !== 'pem')
        .map((b): [string, string] => ['keystore bytes (base64)', b.toString('base64').slice(40, 100)]),
    ];
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) {
      JSON.parse(line); // every line is one JSON object
      for (const [what, needle] of needles)
        expect(line.includes(needle), `${what} in log line: ${line.slice(0, 200)}`).toBe(false);
    }
    console.log(
      `[fault] secrets: ${lines.length} log lines searched for ${needles.length} needles, none found`,
    );

    // Modes: 0600 by default, 0640 where configured; nothing world-accessible in the directory.
    expect((await stat(join(dir, 'server.jks'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'server.p12'))).mode & 0o777).toBe(0o640);
    for (const name of await readdir(join(dir, 'pem')))
      expect((await stat(join(dir, 'pem', name))).mode & 0o777, name).toBe(0o600);
    for (const name of await readdir(dir)) {
      const info = await stat(join(dir, name));
      if (info.isFile()) expect(info.mode & 0o007, name).toBe(0);
      expect(name.endsWith('.tmp'), name).toBe(false);
    }
    expect((await readFile(join(dir, 'server.jks'))).length).toBeGreaterThan(0);
  }, 60_000);
});
