/**
 * AcmeHa as another team uses it: one `new` in a stack of their own app, next to their own
 * resources, offline, cdk-nag clean; twice in one app; every props problem in one error; its
 * functions deployed from the prebuilt dist/functions as they are; and `cdk synth` on a clone where
 * `npm run build` has not run stops with one line saying so.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { AcmeHa } from '../../cdk/acme-ha.ts';
import { FUNCTION_FILE, type FunctionEntryName, functionAssetDir } from '../../cdk/function-bundle.ts';
import { PrebuiltCodeMissingError, prebuiltCodeDir } from '../../cdk/function-code.ts';
import { PropsError } from '../../cdk/props-error.ts';
import { RENEWER_CONFIG_FILE, Renewer } from '../../cdk/renewer.ts';
import { Store } from '../../cdk/store.ts';
import type { AcmeHaConfig } from '../../core/config/certificate-config.ts';
import { parseConfig } from '../../core/config/parse-config.ts';
import { resourceNames } from '../../core/resource-layout.ts';
import { tempDir } from '../support/temp-dir.ts';
import { functionCodeDir, functionLogicalIds } from './support/assets.ts';
import { identityStatements, wildcardViolations } from './support/iam.ts';
import { acknowledgements, nagFindings } from './support/nag.ts';
import { configWith, ROOT } from './support/synth.ts';

const config = parseConfig(readFileSync(join(ROOT, 'examples', 'acme-ha.yaml'), 'utf8'), 'acme-ha.yaml');
const prebuilt = (entry: FunctionEntryName, file = FUNCTION_FILE): Buffer =>
  readFileSync(join(functionAssetDir(entry), file));

/** A fresh app as a user's `bin/app.ts` makes one (none of our cdk.json flags), checked by cdk-nag. */
function usersApp(outdir: string): App {
  const app = new App({ outdir });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** Which prebuilt entry a synthesized function runs, from what only that function has. */
function entryOf(template: Template, logicalId: string): FunctionEntryName {
  const fn = template.toJSON().Resources[logicalId] as {
    Properties: { FunctionName?: unknown; Description?: string; Environment?: { Variables?: object } };
  };
  if (typeof fn.Properties.FunctionName === 'string' && fn.Properties.FunctionName.endsWith('-renew'))
    return 'renew';
  if (typeof fn.Properties.FunctionName === 'string' && fn.Properties.FunctionName.endsWith('-fleet-watch'))
    return 'fleet-watch';
  const urls = template.findResources('AWS::Lambda::Url');
  if (JSON.stringify(urls).includes(logicalId)) return 'respond-url';
  const targets = template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup');
  if (JSON.stringify(targets).includes(logicalId)) return 'respond-alb';
  throw new Error(`${logicalId}: not an acme-ha function`);
}

describe('in a stack of your own app', () => {
  let app: App;
  let stack: Stack;
  let certificates: AcmeHa;
  let template: Template;

  beforeAll(async () => {
    app = usersApp(await tempDir('acme-ha-users-app-'));
    stack = new Stack(app, 'Theirs');
    // Something of theirs beside it, as a careful team writes it (cdk-nag runs over the whole app).
    new s3.Bucket(stack, 'Reports', {
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      serverAccessLogsPrefix: 'access-logs/',
    });
    certificates = new AcmeHa(stack, 'Certificates', { config });
    // Synthesizes the app: the cdk-nag validation plugin fails it on any unacknowledged finding.
    template = Template.fromStack(stack);
  });

  it('is one statement, and builds the renewer, table, keystore bucket and responder beside their bucket', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'acme-ha-renew',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          NODE_OPTIONS: '--enable-source-maps',
          ACME_HA_CONFIG_FILE: RENEWER_CONFIG_FILE,
          ACME_HA_TABLE: { Ref: Match.stringLikeRegexp('^CertificatesStoreTable') },
        }),
      },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'acme-ha' });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: {
        'Fn::Join': ['', ['acme-ha-keystores-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]],
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CertificatesResponderFunction'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('HTTP-01'),
      Handler: 'index.handler',
    });
    // Their bucket is still theirs, untouched, beside the keystore and access-log buckets.
    expect(Object.keys(template.findResources('AWS::S3::Bucket'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Reports/)]),
    );
    template.resourceCountIs('AWS::S3::Bucket', 3);
  });

  it('offers its parts and outputs as properties', () => {
    const resolve = (value: unknown) => stack.resolve(value);
    expect(resolve(certificates.table.tableName)).toEqual({
      Ref: expect.stringMatching(/^CertificatesStoreTable/),
    });
    expect(resolve(certificates.bucket.bucketName)).toEqual({
      Ref: expect.stringMatching(/^CertificatesStoreKeystores/),
    });
    expect(resolve(certificates.key.keyArn)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^CertificatesStoreKey/), 'Arn'],
    });
    expect(certificates.keyAlias).toBe('alias/acme-ha');
    expect(resolve(certificates.topic.topicArn)).toEqual({
      Ref: expect.stringMatching(/^CertificatesFleetEvents/),
    });
    expect(resolve(certificates.renewerFunction.functionName)).toEqual({
      Ref: expect.stringMatching(/^CertificatesRenewerFunction/),
    });
    expect(certificates.renewalRule).toBe(certificates.renewer.rule);
    expect(resolve(certificates.fleetWatchFunction.functionName)).toEqual({
      Ref: expect.stringMatching(/^CertificatesFleetWatchFunction/),
    });
    expect(certificates.fleetWatchRule).toBe(certificates.fleetWatch.rule);
    expect(certificates.responderFunction).toBe(certificates.responder.function);
    expect(resolve(certificates.responderUrl?.url)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^CertificatesResponderFunctionFunctionUrl/), 'FunctionUrl'],
    });
    expect(certificates.edgeFunctionVersion).toBeUndefined();
    expect(certificates.distribution).toBeUndefined();
    expect(resolve(certificates.alarmTopic.topicArn)).toEqual({
      Ref: expect.stringMatching(/^CertificatesMonitoringAlarmTopic/),
    });
    expect(certificates.alarms.length).toBeGreaterThan(0);
    expect(certificates.nodes.map((n) => n.id)).toEqual(config.nodes.map((n) => n.id));
    for (const node of certificates.nodes) {
      expect(resolve(node.queue.queueUrl)).toEqual({
        Ref: expect.stringMatching(/^CertificatesFleet.*queue/),
      });
      expect(resolve(node.role.roleArn)).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^CertificatesFleet.*role/), 'Arn'],
      });
    }
    expect(certificates.trustAnchor).toBeUndefined();
    expect(certificates.prefix).toBe('acme-ha');
  });

  it('is cdk-nag clean with a reason on every acknowledgement, and has no * grants', () => {
    expect(nagFindings(app)).toEqual([]);
    for (const ack of acknowledgements(app))
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThan(40);
    expect(wildcardViolations(identityStatements({ theirs: template }))).toEqual([]);
  });

  it('deploys the prebuilt dist/functions as they are; the renewer’s and fleet-watch’s copies also hold the configuration', () => {
    const ids = functionLogicalIds(stack);
    expect(ids).toHaveLength(3);
    const entries = ids.map((id) => entryOf(template, id)).sort();
    expect(entries).toEqual(['fleet-watch', 'renew', 'respond-url']);
    for (const id of ids) {
      const entry = entryOf(template, id);
      const dir = functionCodeDir(stack, id);
      expect(readFileSync(join(dir, FUNCTION_FILE)).equals(prebuilt(entry)), `${id}: ${dir}`).toBe(true);
      expect(
        readFileSync(join(dir, `${FUNCTION_FILE}.map`)).equals(prebuilt(entry, `${FUNCTION_FILE}.map`)),
      ).toBe(true);
      if (entry === 'renew' || entry === 'fleet-watch') {
        const file = join(dir, RENEWER_CONFIG_FILE);
        expect(parseConfig(readFileSync(file, 'utf8'), file)).toEqual(config);
      }
    }
  });
});

describe('two in one app', () => {
  const env = { account: '123456789012', region: 'eu-west-1' };
  const other = parseConfig(
    configWith(`nodes:
  - { id: n1, groups: [mft, web] }
dmz:
  - { id: dmz-1, url: 'https://dmz-1.example.com', pushedBy: [n1] }
`),
    'other.yaml',
  );

  it('do not collide: two stacks, two prefixes, each with its own names and its own configuration', async () => {
    const app = usersApp(await tempDir('acme-ha-two-'));
    const teamA = new Stack(app, 'TeamA', { env });
    const teamB = new Stack(app, 'TeamB', { env });
    const a = new AcmeHa(teamA, 'Certificates', { config, prefix: 'team-a' });
    const b = new AcmeHa(teamB, 'Certificates', {
      config: other,
      prefix: 'team-b',
      responder: {
        mode: 'alb',
        listenerArn:
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2',
      },
    });
    const templates = { a: Template.fromStack(teamA), b: Template.fromStack(teamB) };
    for (const [team, template] of Object.entries(templates)) {
      template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: `team-${team}` });
      template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: `team-${team}-renew` });
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/team-${team}` });
      template.hasResourceProperties('AWS::SNS::Topic', { TopicName: `team-${team}-events` });
    }
    templates.b.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'team-b-node-n1' });
    templates.a.resourcePropertiesCountIs(
      'AWS::SQS::Queue',
      { QueueName: Match.stringLikeRegexp('team-b') },
      0,
    );
    expect(nagFindings(app)).toEqual([]);

    // Each renewer deploys its own configuration; each responder its own prebuilt code.
    const codeOf = (stack: Stack, template: Template, entry: FunctionEntryName) => {
      const id = functionLogicalIds(stack).find((i) => entryOf(template, i) === entry);
      if (!id) throw new Error(`${stack.stackName} has no ${entry}`);
      return functionCodeDir(stack, id);
    };
    const renewers = [codeOf(teamA, templates.a, 'renew'), codeOf(teamB, templates.b, 'renew')];
    expect(renewers[0]).not.toBe(renewers[1]);
    expect(
      renewers.map((dir) => parseConfig(readFileSync(join(dir, RENEWER_CONFIG_FILE), 'utf8'), dir)),
    ).toEqual([config, other]);
    expect(
      readFileSync(join(codeOf(teamB, templates.b, 'respond-alb'), FUNCTION_FILE)).equals(
        prebuilt('respond-alb'),
      ),
    ).toBe(true);
    expect([a.prefix, b.prefix]).toEqual(['team-a', 'team-b']);
  });

  it('refuse the same prefix where both may deploy to one account and region, and allow it elsewhere', () => {
    const app = new App();
    new AcmeHa(new Stack(app, 'One', { env }), 'Certificates', { config });
    expect(() => new AcmeHa(new Stack(app, 'Two', { env }), 'Certificates', { config })).toThrow(
      /AcmeHa: 1 problem:\n {2}- prefix: "acme-ha" is already used by One\/Certificates/,
    );
    expect(() => new AcmeHa(new Stack(app, 'Agnostic'), 'Certificates', { config })).toThrow(/already used/);
    expect(
      () =>
        new AcmeHa(
          new Stack(app, 'OtherAccount', { env: { ...env, account: '210987654321' } }),
          'Certificates',
          {
            config,
          },
        ),
    ).not.toThrow();
  });
});

describe('props problems', () => {
  it('are all reported at once, in one error, before anything is built', () => {
    const stack = new Stack(new App(), 'Theirs');
    let error: unknown;
    try {
      new AcmeHa(stack, 'Certificates', {
        config: { ...config, certificates: [] } as AcmeHaConfig,
        prefix: 'Not_A_Prefix',
        responder: { mode: 'cloudfront' },
        rolesAnywhere: { caCertificatePem: 'not a pem', sessionDuration: Duration.minutes(1) },
        alarmEmail: 'nobody',
        expiryAlarmDays: 0,
        lagGracePeriod: Duration.minutes(1),
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PropsError);
    const { construct, problems, message } = error as PropsError;
    expect(construct).toBe('AcmeHa');
    expect(problems).toEqual([
      expect.stringMatching(/^prefix: resource prefix "Not_A_Prefix"/),
      'config.certificates: declare at least one certificate',
      expect.stringMatching(/^rolesAnywhere\.caCertificatePem is not a PEM certificate/),
      expect.stringMatching(/^rolesAnywhere\.sessionDuration must be 15 minutes to 12 hours, got 60 s/),
      expect.stringMatching(/^expiryAlarmDays must be more than 0/),
      expect.stringMatching(/^lagGracePeriod must be 5 minutes to 24 hours/),
      'alarmEmail "nobody" is not an e-mail address',
      expect.stringMatching(/^responder: cloudfront mode needs the stack env/),
    ]);
    expect(message).toMatch(/^AcmeHa: 8 problems:\n {2}- prefix/);
    // Nothing was built: the failed construct has no children, the stack no resources.
    expect(stack.node.findAll().filter((c) => c.node.id !== 'Certificates' && c !== stack)).toEqual([]);
  });

  it('include the parts’ own checks that depend on a valid prefix and configuration', () => {
    const stack = new Stack(new App(), 'Theirs');
    expect(
      () =>
        new AcmeHa(stack, 'Certificates', {
          config: {
            ...config,
            nodes: [],
            dmz: [],
            certificates: config.certificates.map((c) => ({ ...c, dmz: [] })),
          },
          responder: { mode: 'alb', listenerArn: 'not-an-arn', priority: 0 },
        }),
    ).toThrow(
      /AcmeHa: 3 problems:\n {2}- the configuration declares no nodes[\s\S]*responder: listenerArn "not-an-arn"[\s\S]*responder: priority/,
    );
  });
});

describe('secrets the renewer Lambda cannot read', () => {
  it('are refused at synth, each named by its path and certificate, with the other problems', () => {
    const withEnvSecrets = parseConfig(
      configWith(`nodes:
  - { id: n1, groups: [mft, web] }
dmz:
  - { id: dmz-1, url: 'https://dmz-1.example.com', pushedBy: [n1] }
`)
        .replace('{ secretsManager: acme-ha/files-keystore }', '{ env: FILES_KEYSTORE_PASSWORD }')
        .replace('{ ssmParameter: /acme-ha/eab-hmac }', '{ env: WEB_EAB_HMAC }')
        .replace('{ ssmParameter: /acme-ha/web-key }', '{ env: WEB_KEY_PASSWORD }'),
      'test.yaml',
    );
    let error: unknown;
    try {
      new AcmeHa(new Stack(new App(), 'Theirs'), 'Certificates', {
        config: withEnvSecrets,
        alarmEmail: 'nobody',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PropsError);
    expect((error as PropsError).problems).toEqual([
      'config.certificates[0].keystores[0].password (certificate "files"): { env: FILES_KEYSTORE_PASSWORD } is not available to the renewer Lambda; use { secretsManager: <name or ARN> } or { ssmParameter: /<path> } (the renewer\'s role is granted read access to exactly those)',
      'config.certificates[1].keystores[0].keyPassword (certificate "web"): { env: WEB_KEY_PASSWORD } is not available to the renewer Lambda; use { secretsManager: <name or ARN> } or { ssmParameter: /<path> } (the renewer\'s role is granted read access to exactly those)',
      'config.certificates[1].eab.hmacKey (certificate "web"): { env: WEB_EAB_HMAC } is not available to the renewer Lambda; use { secretsManager: <name or ARN> } or { ssmParameter: /<path> } (the renewer\'s role is granted read access to exactly those)',
      'alarmEmail "nobody" is not an e-mail address',
    ]);
  });

  it("are refused by the Renewer used on its own too, fallback CAs' EAB keys included", () => {
    const stack = new Stack(new App(), 'Alone');
    const store = new Store(stack, 'Store', { names: resourceNames('unit') });
    const [first, ...rest] = config.certificates;
    if (!first) throw new Error('the example has no certificate');
    const fallbacks = [
      { directory: 'https://ca.example.com/dir', eab: { kid: 'k', hmacKey: { env: 'FALLBACK_HMAC' } } },
    ];
    expect(
      () =>
        new Renewer(stack, 'Renewer', {
          names: resourceNames('unit'),
          config: { ...config, certificates: [{ ...first, fallbacks }, ...rest] },
          key: store.key,
          bucket: store.bucket,
          table: store.table,
          topic: new sns.Topic(stack, 'Topic'),
        }),
    ).toThrow(
      /^Renewer: 1 problem:\n {2}- config\.certificates\[0\]\.fallbacks\[0\]\.eab\.hmacKey \(certificate "files"\): \{ env: FALLBACK_HMAC \} is not available to the renewer Lambda/,
    );
  });
});

describe('without npm run build', () => {
  it('names the missing prebuilt code and the command to run, in one line', () => {
    const missing = join(ROOT, 'no-such-dist', 'renew');
    expect(() => prebuiltCodeDir('renew', () => missing)).toThrow(PrebuiltCodeMissingError);
    try {
      prebuiltCodeDir('renew', () => missing);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toContain(join(missing, FUNCTION_FILE));
      expect(message).toContain('run `npm run build` first');
    }
    expect(prebuiltCodeDir('renew')).toBe(functionAssetDir('renew'));
  });

  it('cdk synth on an unbuilt clone stops with that one line, no stack trace', async () => {
    // A clone's cdk/ and core/ (all cdk/ imports) with no dist/, the installed packages linked in.
    const clone = await tempDir('acme-ha-unbuilt-');
    for (const dir of ['cdk', 'core']) cpSync(join(ROOT, dir), join(clone, dir), { recursive: true });
    mkdirSync(join(clone, 'examples'));
    cpSync(join(ROOT, 'examples', 'acme-ha.yaml'), join(clone, 'examples', 'acme-ha.yaml'));
    writeFileSync(join(clone, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', join('cdk', 'app.ts')], {
      cwd: clone,
      env: { ...process.env, CDK_OUTDIR: join(clone, 'cdk.out'), CDK_CONTEXT_JSON: '{}' },
      encoding: 'utf8',
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `acme-ha: the prebuilt code of the renew function is missing (${join(clone, 'dist', 'functions', 'renew', FUNCTION_FILE)}): run \`npm run build\` first\n`,
    );
  });
});
