/**
 * The functions exactly as `cdk deploy` would upload them: the stack is synthesized (the example
 * configuration, with the embedded stack's prefix), each function's code is taken from ITS asset
 * folder in the cloud assembly and its environment from ITS `Environment.Variables` in the
 * template (Refs and GetAtts resolved to the embedded stack's resources), and its `Handler` is
 * loaded from that folder in a plain Node child process, against the embedded stack. What this
 * catches that the dist/ runs do not: a variable the template forgets, a configuration file not
 * copied into the asset, a handler name that does not match the file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../adapters/aws/aws-clients.ts';
import { DynamoChallengeStore } from '../../../adapters/aws/dynamo-challenge-store.ts';
import { DynamoNodeStatusStore } from '../../../adapters/aws/dynamo-node-status-store.ts';
import { DynamoStateStore } from '../../../adapters/aws/dynamo-state-store.ts';
import { FLEET_METRICS, METRICS_NAMESPACE } from '../../../core/metrics.ts';
import { systemClock } from '../../../core/ports/clock.ts';
import type { LocalStack } from '../../../local/stack.ts';
import { functionCodeDir } from '../../cdk/support/assets.ts';
import { ROOT, synth } from '../../cdk/support/synth.ts';
import { aNodeStatus, aRevision, days } from '../../support/fleet-reports.ts';
import { type FunctionRun, runFunctionCode } from '../../support/function-runs.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { tempDir } from '../../support/temp-dir.ts';

const PREFIX = 'synth-assets';
const stack = useLocalStack({ prefix: PREFIX });

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

interface DeployedFunction {
  readonly logicalId: string;
  readonly codeDir: string;
  readonly handler: string;
  /** The template's variables, as CloudFormation would resolve them against the embedded stack. */
  readonly variables: Record<string, string>;
}

let functions: { renew: DeployedFunction; respondUrl: DeployedFunction; fleetWatch: DeployedFunction };

beforeAll(async () => {
  const directory = stack().pebble?.directoryUrl;
  if (!directory) throw new Error('the embedded stack has no Pebble');
  // The example as it deploys, with the embedded stack's CA in place of the public one.
  const example = readFileSync(join(ROOT, 'examples', 'acme-ha.yaml'), 'utf8');
  const adapted = example.replace(/^( {2}directory: ).*$/m, `$1${directory}`);
  expect(adapted).not.toBe(example);
  const { stack: cdkStack, template } = synth({
    outdir: await tempDir('acme-ha-synthesized-assets-'),
    context: { prefix: PREFIX },
    files: { 'examples/acme-ha.yaml': adapted },
  });
  const resources = template.toJSON().Resources as Resources;
  const deployed = (logicalId: string): DeployedFunction => {
    const properties = resources[logicalId]?.Properties ?? {};
    const raw =
      (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    return {
      logicalId,
      codeDir: functionCodeDir(cdkStack, logicalId),
      handler: String(properties.Handler),
      variables: Object.fromEntries(
        Object.entries(raw).map(([name, value]) => [name, resolve(value, resources, stack(), name)]),
      ),
    };
  };
  const byName = (suffix: string): string => {
    const found = Object.entries(resources).find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.FunctionName === `${PREFIX}-${suffix}`,
    );
    if (!found) throw new Error(`no function ${PREFIX}-${suffix} in the template`);
    return found[0];
  };
  const url = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Url');
  const urlTarget = (url?.Properties?.TargetFunctionArn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  if (!urlTarget) throw new Error('no function URL in the template');
  functions = {
    renew: deployed(byName('renew')),
    respondUrl: deployed(urlTarget),
    fleetWatch: deployed(byName('fleet-watch')),
  };
});

/**
 * A template value as the embedded stack's resource: what CloudFormation would put there. Throws on
 * anything it does not know, so a new kind of reference fails here instead of passing unresolved.
 */
function resolve(value: unknown, resources: Resources, local: LocalStack, variable: string): string {
  if (typeof value === 'string') return value;
  const ref = (value as { Ref?: string }).Ref;
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  const logicalId = ref ?? getAtt?.[0];
  const type = logicalId ? resources[logicalId]?.Type : undefined;
  const attribute = ref ? 'Ref' : getAtt?.[1];
  switch (`${type} ${attribute}`) {
    case 'AWS::DynamoDB::Table Ref':
      expect(resources[logicalId as string]?.Properties?.TableName, variable).toBe(local.resources.tableName);
      return local.resources.tableName;
    case 'AWS::S3::Bucket Ref':
      return local.resources.bucket;
    case 'AWS::SNS::Topic Ref':
      return local.resources.topicArn;
    case 'AWS::KMS::Key Arn':
      // The embedded stack has no KMS: s3rver accepts and ignores the SSE headers.
      return `arn:aws:kms:${local.region}:000000000000:key/embedded`;
    default:
      throw new Error(`${variable}: cannot resolve ${JSON.stringify(value)} to the embedded stack`);
  }
}

/** The environment Lambda gives the function: the template's variables, plus region, credentials
 * and (here) the embedded stack's endpoints — but none of the stack's own ACME_HA_* settings. */
function lambdaEnv(fn: DeployedFunction): Record<string, string> {
  const platform = Object.entries(stack().env).filter(([name]) => !name.startsWith('ACME_HA_'));
  return { ...Object.fromEntries(platform), ...fn.variables };
}

describe('the synthesized assets', () => {
  it('are self-contained folders whose Handler names the file, each with its own environment', () => {
    for (const fn of Object.values(functions)) {
      expect(fn.codeDir.startsWith(ROOT), fn.logicalId).toBe(false);
      expect(fn.handler).toBe('index.handler');
      expect(() => readFileSync(join(fn.codeDir, 'index.mjs')), fn.logicalId).not.toThrow();
    }
    expect(functions.respondUrl.variables.ACME_HA_TABLE).toBe(stack().resources.tableName);
    expect(functions.renew.variables).toMatchObject({
      ACME_HA_TABLE: stack().resources.tableName,
      ACME_HA_BUCKET: stack().resources.bucket,
      ACME_HA_TOPIC_ARN: stack().resources.topicArn,
    });
    // The configuration travels in the renewer's and fleet-watch's assets, not in the environment.
    for (const fn of [functions.renew, functions.fleetWatch]) {
      const file = fn.variables.ACME_HA_CONFIG_FILE;
      expect(file, fn.logicalId).toBeTruthy();
      const shipped = JSON.parse(readFileSync(join(fn.codeDir, String(file)), 'utf8')) as {
        certificates: { id: string }[];
      };
      expect(shipped.certificates.map((c) => c.id)).toEqual(['files', 'web']);
    }
  });

  it('the URL responder answers a token stored in the table with its key authorization', async () => {
    const clients = createAwsClients(stack().clientConfigs);
    try {
      const store = new DynamoChallengeStore(clients.documents, stack().resources.tableName, systemClock);
      await store.put('synthesized-token', 'synthesized-token.thumbprint', new Date(Date.now() + 600_000));
      const answer = (path: string) =>
        runFunctionCode(functions.respondUrl.codeDir, functions.respondUrl.handler, {
          env: lambdaEnv(functions.respondUrl),
          event: { rawPath: path, requestContext: { http: { method: 'GET' } } },
        });
      const found = await answer('/.well-known/acme-challenge/synthesized-token');
      expect(found.result, found.stderr).toMatchObject({
        statusCode: 200,
        body: 'synthesized-token.thumbprint',
      });
      const missing = await answer('/.well-known/acme-challenge/no-such-token');
      expect(missing.result, missing.stderr).toMatchObject({ statusCode: 404 });
    } finally {
      clients.destroy();
    }
  });

  it('the fleet watch reads the configuration shipped in its asset and emits its EMF per node', async () => {
    const clients = createAwsClients(stack().clientConfigs);
    const revision = aRevision({ certificateId: 'files', revision: 1, sans: ['files.example.com'] });
    let run: FunctionRun;
    try {
      const table = stack().resources.tableName;
      await new DynamoStateStore(clients.documents, table).publish(revision);
      await new DynamoNodeStatusStore(clients.documents, table).put(
        aNodeStatus({ certificateId: 'files', nodeId: 'mft-1', revisionOnDisk: 1 }),
      );
      run = await runFunctionCode(functions.fleetWatch.codeDir, functions.fleetWatch.handler, {
        env: lambdaEnv(functions.fleetWatch),
      });
    } finally {
      clients.destroy();
    }
    // The example's nodes: mft-1, mft-2 and the DMZ instance for `files`; web-1 for `web`.
    expect(run.emf.map((r) => `${r.CertificateId}/${r.NodeId}`).sort(), run.stderr).toEqual([
      'files/dmz:dmz-1',
      'files/mft-1',
      'files/mft-2',
      'web/web-1',
    ]);
    const mft1 = run.emf.find((r) => r.CertificateId === 'files' && r.NodeId === 'mft-1');
    expect(mft1?._aws.CloudWatchMetrics[0]?.Namespace).toBe(METRICS_NAMESPACE);
    expect(mft1?.[FLEET_METRICS.daysRemaining.name]).toBeCloseTo(
      (Date.parse(revision.notAfter) - Date.now()) / days(1),
      0,
    );
    expect(mft1?.[FLEET_METRICS.revisionLag.name]).toBe(0);
  });

  it('the renewer orders `web` through Pebble (HTTP-01 answered from the same table) and publishes revision 1', async () => {
    const pebble = stack().pebble;
    const run = await runFunctionCode(functions.renew.codeDir, functions.renew.handler, {
      // In AWS the CA is public; here its HTTPS listener's CA is the one platform addition.
      env: { ...lambdaEnv(functions.renew), ACME_HA_CA_BUNDLE: pebble?.caPem ?? '', ACME_HA_POLL_MS: '50' },
      event: { certificateId: 'web', force: true },
      remainingMs: 15 * 60_000,
      functionName: `${PREFIX}-renew`,
    });
    expect(run.result, run.stderr).toMatchObject({
      outcomes: [expect.objectContaining({ certificateId: 'web', result: 'renewed', revision: 1 })],
      remaining: [],
    });
    const clients = createAwsClients(stack().clientConfigs);
    try {
      const state = new DynamoStateStore(clients.documents, stack().resources.tableName);
      const published = await state.getRevision('web', 1);
      expect(published?.sans).toEqual(['www.example.com']);
    } finally {
      clients.destroy();
    }
  });
});
