import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../../../core/config/agent-config.ts';
import { configSchema } from '../../../core/config/certificate-config.ts';
import { dmzConfigSchema } from '../../../core/config/dmz-config.ts';
import { ConfigError, formatPath, parseConfig, parseYamlConfig } from '../../../core/config/parse-config.ts';
import {
  absolutePath,
  dnsName,
  envSecret,
  host,
  httpsUrl,
  httpUrl,
  id,
  issuableName,
  listenPort,
  mode,
  nodeId,
  port,
  renewBeforeOf,
  seconds,
  secretSource,
  sha256Fingerprint,
  uniqueBy,
  uniqueIds,
  uniqueTargetPaths,
} from '../../../core/config/rules.ts';
import * as z from '../../../core/config/zod.ts';

const FINGERPRINT = 'ab'.repeat(32);
const NOT_A_DNS_NAME = 'not a valid DNS name';
const NOT_FULLY_QUALIFIED =
  'must be a fully qualified name (two labels or more): no CA issues a certificate for a single label';

/** `path: message` of each problem, or [] when the value is accepted. */
function problems(schema: z.ZodMiniType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/** The value a rule makes of its input; fails the test when the input is refused. */
function parsed<S extends z.ZodMiniType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`refused ${JSON.stringify(value)}: ${result.error.message}`);
  return result.data;
}

describe('shared configuration rules', () => {
  it('id: 1–63 characters of a-z, 0-9 and -, starting with a letter or digit', () => {
    for (const ok of ['a', 'app-1', '0a', 'a'.repeat(63), 'a-']) expect(problems(id, ok)).toEqual([]);
    for (const bad of ['A', '-a', 'a_b', '../app', 'a/b', '', 'a'.repeat(64)])
      expect(problems(id, bad)).toEqual([
        ': must be 1–63 characters of a-z, 0-9 and -, starting with a letter or digit',
      ]);
  });

  it('nodeId: at most 40 characters, ending with a letter or digit (it becomes part of queue names)', () => {
    for (const ok of ['n', 'web-1', 'a'.repeat(40)]) expect(problems(nodeId, ok)).toEqual([]);
    for (const bad of ['web-', 'a'.repeat(41), 'Web1', ''])
      expect(problems(nodeId, bad)).toEqual([
        ': must be 1–40 characters of a-z, 0-9 and -, starting and ending with a letter or digit',
      ]);
  });

  it('dnsName: any DNS name, lower-cased, 253 characters and labels of 63 at most, optional *.', () => {
    expect(parsed(dnsName, 'APP.Example.COM')).toBe('app.example.com');
    for (const ok of ['localhost', 'app.example.com', '*.example.com', `${'a'.repeat(63)}.com`])
      expect(problems(dnsName, ok)).toEqual([]);
    for (const bad of ['not a name', 'a..b', '-a.com', 'a-.com', `${'a'.repeat(64)}.com`, '', '*', 'a.*.com'])
      expect(problems(dnsName, bad)).toEqual([`: ${NOT_A_DNS_NAME}`]);
    const long = `${'a.'.repeat(126)}com`;
    expect(long.length).toBe(255);
    expect(problems(dnsName, long)).toEqual([': longer than 253 characters']);
  });

  it('issuableName: a DNS name of two labels or more, with one message per mistake', () => {
    for (const ok of ['app.example.com', '*.example.com', 'example.com'])
      expect(problems(issuableName, ok)).toEqual([]);
    for (const single of ['localhost', 'app', '*.com'])
      expect(problems(issuableName, single)).toEqual([`: ${NOT_FULLY_QUALIFIED}`]);
    expect(problems(issuableName, 'not a name')).toEqual([`: ${NOT_A_DNS_NAME}`]);
    expect(parsed(issuableName, 'WWW.Example.com')).toBe('www.example.com');
  });

  it('absolutePath: starts with / and has no NUL', () => {
    expect(problems(absolutePath, '/etc/app/server.jks')).toEqual([]);
    for (const bad of ['relative/server.jks', '../server.jks', '', 'C:\\x', '/a\u0000b'])
      expect(problems(absolutePath, bad)).toEqual([': must be an absolute path']);
  });

  it('mode: octal text in quotes, a YAML number refused', () => {
    expect(parsed(mode, '0640')).toBe(0o640);
    expect(parsed(mode, '600')).toBe(0o600);
    for (const bad of [640, '0800', '10640', ''])
      expect(problems(mode, bad)).toEqual([': must be an octal mode in quotes, such as "0640"']);
  });

  it('seconds: above 0 (or at least min) and at most max, one message for every way out', () => {
    const timeout = seconds(600);
    for (const ok of [0.5, 1, 600]) expect(problems(timeout, ok)).toEqual([]);
    for (const bad of [0, -1, 601, '5'])
      expect(problems(timeout, bad)).toEqual([': must be more than 0 and at most 600 seconds']);
    const standby = seconds(3600, 0);
    expect(problems(standby, 0)).toEqual([]);
    expect(problems(standby, -1)).toEqual([': must be at least 0 and at most 3600 seconds']);
    expect(problems(seconds(86_400, 1), 0.5)).toEqual([': must be at least 1 and at most 86400 seconds']);
  });

  it('envSecret and secretSource: a variable name or a secret store reference, never the secret', () => {
    expect(problems(envSecret, { env: 'APP_PW' })).toEqual([]);
    expect(problems(envSecret, { env: '1PW' })).toEqual(['env: not an environment variable name']);
    expect(problems(envSecret, { secretsManager: 'x' })).not.toEqual([]);
    for (const ok of [{ env: '_X' }, { secretsManager: 'prod/app' }, { ssmParameter: '/prod/app' }])
      expect(problems(secretSource, ok)).toEqual([]);
    expect(problems(secretSource, { env: 'A-B' })).toEqual(['env: not an environment variable name']);
    expect(problems(secretSource, { ssmParameter: 'prod/app' })).toEqual(['ssmParameter: must start with /']);
    expect(problems(secretSource, { secretsManager: '' })).toEqual(['secretsManager: must name a secret']);
    for (const bad of [{}, 'changeit', { password: 'changeit' }])
      expect(problems(secretSource, bad)).toEqual([
        ': must be one of { env: NAME }, { secretsManager: ID }, { ssmParameter: /PATH }',
      ]);
  });

  it('sha256Fingerprint: 64 hex digits, colons and upper case allowed, kept as lower-case hex', () => {
    const printed = FINGERPRINT.toUpperCase().match(/../g)?.join(':');
    expect(parsed(sha256Fingerprint, printed)).toBe(FINGERPRINT);
    for (const bad of ['ab'.repeat(31), 'xyz', ''])
      expect(problems(sha256Fingerprint, bad)).toEqual([
        ': must be a SHA-256 fingerprint (64 hex digits, colons allowed)',
      ]);
  });

  it('host, port, listenPort: 0 is a port to listen on (any free one), never one to connect to', () => {
    expect(problems(host, '127.0.0.1')).toEqual([]);
    expect(problems(host, '')).toEqual([': must be a host name or an IP address']);
    expect(problems(listenPort, 0)).toEqual([]);
    expect(problems(port, 443)).toEqual([]);
    for (const bad of [0, 65_536, 1.5, '443'])
      expect(problems(port, bad)).toEqual([': must be a port number from 1 to 65535']);
    for (const bad of [-1, 65_536, '8443'])
      expect(problems(listenPort, bad)).toEqual([': must be a port number from 0 (any free port) to 65535']);
  });

  it('httpUrl and httpsUrl: URLs by protocol', () => {
    expect(problems(httpUrl, 'http://127.0.0.1:14000/dir')).toEqual([]);
    expect(problems(httpUrl, 'https://acme.example/dir')).toEqual([]);
    for (const bad of ['ftp://x.example', 'acme.example', ''])
      expect(problems(httpUrl, bad)).toEqual([': must be an http:// or https:// URL']);
    expect(problems(httpsUrl, 'https://dmz-1.internal:8443')).toEqual([]);
    expect(problems(httpsUrl, 'http://dmz-1.internal:8443')).toEqual([': must be an https:// URL']);
  });

  it('uniqueIds: every later item with a taken id is reported at its id', () => {
    const list = uniqueIds(z.array(z.strictObject({ id })));
    expect(problems(list, [{ id: 'a' }, { id: 'b' }])).toEqual([]);
    expect(problems(list, [{ id: 'a' }, { id: 'b' }, { id: 'a' }, { id: 'a' }])).toEqual([
      '[2].id: duplicate id a',
      '[3].id: duplicate id a',
    ]);
  });

  it('uniqueTargetPaths: paths compared normalised, the later target names the earlier one', () => {
    const targets = uniqueTargetPaths(z.array(z.strictObject({ path: absolutePath })));
    expect(problems(targets, [{ path: '/etc/app' }, { path: '/etc/app2' }])).toEqual([]);
    for (const same of ['/etc/app', '/etc/app/', '/etc//app', '/etc/./app', '/etc/x/../app'])
      expect(problems(targets, [{ path: '/etc/app' }, { path: same }])).toEqual([
        '[1].path: targets[0] writes the same path',
      ]);
  });

  it('uniqueBy: reports at the item itself when the field path is empty', () => {
    const names = uniqueBy(
      z.array(dnsName),
      (name: string) => name,
      [],
      (name) => `${name} is listed twice`,
    );
    expect(problems(names, ['a.example.com', 'A.example.com'])).toEqual([
      '[1]: a.example.com is listed twice',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The three files, judged by the same rules.

interface Target {
  readonly [key: string]: unknown;
}

const aTarget = (overrides: Target = {}): Target => ({
  certificateId: 'app',
  format: 'pem',
  path: '/etc/app/tls',
  names: ['app.example.com'],
  mode: '0640',
  reload: { command: ['systemctl', 'reload', 'app'] },
  probe: [{ port: 443, sni: 'app.example.com' }],
  ...overrides,
});

const anAgentConfig = (targets: readonly Target[]) => ({
  version: 1,
  node: { id: 'web-1', groups: ['web'] },
  aws: { region: 'eu-west-1', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/acme-ha-node-web-1' },
  targets,
});

/** A DMZ instance an agent pushes to. */
const A_PEER = {
  id: 'dmz-1',
  url: 'https://dmz-1.internal:8443',
  serverFingerprint: FINGERPRINT,
  clientCertificate: '/etc/acme-ha/dmz-client.pem',
  clientKey: '/etc/acme-ha/dmz-client.key',
  certificates: ['app'],
};

const aDmzConfig = (targets: readonly Target[]) => ({
  version: 1,
  id: 'dmz-1',
  tls: {
    certificate: '/etc/acme-ha-dmz/receiver.pem',
    key: '/etc/acme-ha-dmz/receiver.key',
    clientCertificates: ['/etc/acme-ha-dmz/client.pem'],
    pinnedClients: [FINGERPRINT],
  },
  targets,
});

const aCertificateConfig = (domains: readonly string[]) => ({
  version: 1,
  certificates: [{ id: 'app', domains, groups: ['web'], keystores: [{ format: 'pem' }] }],
});

/** The problems of a configuration file, as a user reads them, minus the line numbers. */
function problemsOf(schema: z.ZodMiniType, config: object): string[] {
  try {
    parseYamlConfig(JSON.stringify(config), 'config.yaml', schema);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

const agentProblems = (targets: readonly Target[]) => problemsOf(agentConfigSchema, anAgentConfig(targets));
const dmzProblems = (targets: readonly Target[]) => problemsOf(dmzConfigSchema, aDmzConfig(targets));
const certificateProblems = (domains: readonly string[]) =>
  problemsOf(configSchema, aCertificateConfig(domains));

describe('the three configuration files agree', () => {
  it('a target written in an agent config and in a DMZ config is read the same', () => {
    const target = aTarget({ names: ['APP.example.com'] });
    const agent = parseYamlConfig(JSON.stringify(anAgentConfig([target])), 'agent.yaml', agentConfigSchema);
    const dmz = parseYamlConfig(JSON.stringify(aDmzConfig([target])), 'dmz.yaml', dmzConfigSchema);
    expect(dmz.targets).toEqual(agent.targets);
    expect(agent.targets[0]).toMatchObject({ names: ['app.example.com'], mode: 0o640 });
  });

  it('a bad target gets the same problems in an agent config and in a DMZ config', () => {
    const bad = aTarget({
      certificateId: 'App',
      path: 'relative/tls',
      mode: 640,
      names: ['localhost', 'not a name'],
      probe: [{ port: 0, sni: 'bad_name' }],
    });
    const expected = [
      'targets[0].certificateId: must be 1–63 characters of a-z, 0-9 and -, starting with a letter or digit',
      'targets[0].path: must be an absolute path',
      `targets[0].names[0]: ${NOT_FULLY_QUALIFIED}`,
      `targets[0].names[1]: ${NOT_A_DNS_NAME}`,
      'targets[0].mode: must be an octal mode in quotes, such as "0640"',
      'targets[0].probe[0].port: must be a port number from 1 to 65535',
      `targets[0].probe[0].sni: ${NOT_A_DNS_NAME}`,
    ];
    expect(agentProblems([bad]).sort()).toEqual(expected.sort());
    expect(dmzProblems([bad]).sort()).toEqual(expected.sort());
  });

  it('drain: one kind, around a probed reload; a runtime socket is a path or host:port', () => {
    const haproxy = { socket: '/run/haproxy/lb.sock', backend: 'files', server: 'web-1' };
    expect(agentProblems([aTarget({ drain: { haproxy } })])).toEqual([]);
    expect(
      dmzProblems([aTarget({ drain: { haproxy: { ...haproxy, socket: 'lb.internal:9999' } } })]),
    ).toEqual([]);
    expect(
      agentProblems([aTarget({ drain: { command: { drain: 'lb-off web-1', ready: ['lb-on', 'web-1'] } } })]),
    ).toEqual([]);
    expect(agentProblems([aTarget({ drain: { health: { port: 8081 }, settleSeconds: 15 } })])).toEqual([]);
    expect(dmzProblems([aTarget({ drain: { health: { port: 8081, host: '10.0.0.5' } } })])).toEqual([]);
    expect(
      agentProblems([
        aTarget({ drain: { haproxy, command: { drain: 'a', ready: 'b' } } }),
        aTarget({ certificateId: 'b', path: '/etc/b/tls', drain: {} }),
        aTarget({ certificateId: 'c', path: '/etc/c/tls', reload: undefined, probe: [], drain: { haproxy } }),
        aTarget({ certificateId: 'd', path: '/etc/d/tls', probe: [], drain: { haproxy } }),
        aTarget({
          certificateId: 'e',
          path: '/etc/e/tls',
          drain: { haproxy: { ...haproxy, socket: 'relative.sock' } },
        }),
        aTarget({ certificateId: 'f', path: '/etc/f/tls', drain: { health: { port: 0 } } }),
        aTarget({ certificateId: 'g', path: '/etc/g/tls', drain: { health: { port: 8081 }, haproxy } }),
      ]).sort(),
    ).toEqual(
      [
        'targets[0].drain: set exactly one of haproxy, command, health',
        'targets[1].drain: set exactly one of haproxy, command, health',
        'targets[2].drain: drain is around a reload: set reload too',
        'targets[2].probe: a drained target needs a probe: it rejoins only once the probe saw the new certificate',
        'targets[3].probe: a drained target needs a probe: it rejoins only once the probe saw the new certificate',
        'targets[4].drain.haproxy.socket: must be an absolute socket path or host:port',
        'targets[5].drain.health.port: must be a port number from 1 to 65535',
        'targets[6].drain: set exactly one of haproxy, command, health',
      ].sort(),
    );
  });

  it('the same bad DNS name gets the same message in all three files', () => {
    for (const [name, message] of [
      ['not a name', NOT_A_DNS_NAME],
      ['-app.example.com', NOT_A_DNS_NAME],
      ['localhost', NOT_FULLY_QUALIFIED],
      [`${'a.'.repeat(126)}com`, 'longer than 253 characters'],
    ] as const) {
      expect(problemsOf(agentConfigSchema, anAgentConfig([aTarget({ names: [name] })]))).toEqual([
        `targets[0].names[0]: ${message}`,
      ]);
      expect(problemsOf(dmzConfigSchema, aDmzConfig([aTarget({ names: [name] })]))).toEqual([
        `targets[0].names[0]: ${message}`,
      ]);
      expect(certificateProblems([name])).toEqual([`certificates[0].domains[0]: ${message}`]);
    }
  });

  it('names a certificate must cover are issuable names; a probe may ask for any DNS name', () => {
    expect(agentProblems([aTarget({ probe: [{ port: 443, sni: 'localhost' }] })])).toEqual([]);
    expect(agentProblems([aTarget({ names: ['localhost'] })])).toEqual([
      `targets[0].names[0]: ${NOT_FULLY_QUALIFIED}`,
    ]);
    expect(certificateProblems(['*.example.com'])).toEqual([
      'certificates[0].domains[0]: wildcard names need the dns-01 challenge',
    ]);
    expect(agentProblems([aTarget({ names: ['*.example.com'] })])).toEqual([]);
  });

  it('duplicate target paths are refused by both the agent and the DMZ config', () => {
    const targets = [aTarget(), aTarget({ certificateId: 'other', path: '/etc/app/tls/' })];
    const expected = ['targets[1].path: targets[0] writes the same path'];
    expect(agentProblems(targets)).toEqual(expected);
    expect(dmzProblems(targets)).toEqual(expected);
  });

  it('an agent that only pushes to DMZ instances needs no target of its own', () => {
    expect(problemsOf(agentConfigSchema, { ...anAgentConfig([]), dmz: [A_PEER] })).toEqual([]);
    expect(problemsOf(agentConfigSchema, anAgentConfig([]))).toEqual([
      'targets: declare at least one target, a DMZ instance to push to (dmz), or a responder (for a node that only answers HTTP-01 challenges)',
    ]);
  });

  it('a DMZ config that would order certificates or reach AWS is refused, saying where each key belongs', () => {
    expect(
      problemsOf(dmzConfigSchema, {
        ...aDmzConfig([aTarget()]),
        aws: { region: 'eu-west-1' },
        certificates: [],
        colour: 'blue',
      }),
    ).toEqual([
      ": a DMZ instance never orders certificates and never talks to AWS: its internal nodes push every revision to it. aws belongs in an internal node's agent configuration; certificates belongs in the certificate configuration; unknown keys: colour",
    ]);
    // Other unknown keys keep the validation library's own message.
    expect(problemsOf(dmzConfigSchema, { ...aDmzConfig([aTarget()]), colour: 'blue' })).toEqual([
      ': Unrecognized key: "colour"',
    ]);
  });

  it('one id rule and one duplicate-id rule for certificates, DMZ instances and DMZ peers', () => {
    const idMessage = 'must be 1–63 characters of a-z, 0-9 and -, starting with a letter or digit';
    expect(problemsOf(dmzConfigSchema, { ...aDmzConfig([aTarget()]), id: 'DMZ_1' })).toEqual([
      `id: ${idMessage}`,
    ]);
    const certificate = { id: 'Bad_Id', domains: ['app.example.com'], keystores: [{ format: 'pem' }] };
    expect(problemsOf(configSchema, { version: 1, certificates: [certificate] })).toEqual([
      `certificates[0].id: ${idMessage}`,
    ]);
    const peer = A_PEER;
    expect(problemsOf(agentConfigSchema, { ...anAgentConfig([aTarget()]), dmz: [peer, peer] })).toEqual([
      'dmz[1].id: duplicate id dmz-1',
    ]);
    const dmz = { id: 'dmz-1', url: 'https://dmz-1.internal:8443', pushedBy: ['web-1'] };
    expect(
      problemsOf(configSchema, {
        ...aCertificateConfig(['app.example.com']),
        nodes: [{ id: 'web-1', groups: ['web'] }],
        dmz: [dmz, dmz],
      }),
    ).toEqual(['dmz[1].id: duplicate id dmz-1']);
  });

  it('a node id is judged alike in the certificate config and in the agent config', () => {
    const message = 'must be 1–40 characters of a-z, 0-9 and -, starting and ending with a letter or digit';
    for (const bad of ['web-', 'a'.repeat(41)]) {
      expect(
        problemsOf(configSchema, {
          ...aCertificateConfig(['app.example.com']),
          nodes: [{ id: bad, groups: ['web'] }],
        }),
      ).toEqual([`nodes[0].id: ${message}`]);
      expect(
        problemsOf(agentConfigSchema, { ...anAgentConfig([aTarget()]), node: { id: bad, groups: [] } }),
      ).toEqual([`node.id: ${message}`]);
    }
  });

  it('one fingerprint rule for the pinned peers of both sides', () => {
    const message = 'must be a SHA-256 fingerprint (64 hex digits, colons allowed)';
    expect(
      problemsOf(dmzConfigSchema, {
        ...aDmzConfig([aTarget()]),
        tls: { ...aDmzConfig([]).tls, pinnedClients: ['abc'] },
      }),
    ).toEqual([`tls.pinnedClients[0]: ${message}`]);
    expect(
      problemsOf(agentConfigSchema, {
        ...anAgentConfig([aTarget()]),
        dmz: [
          {
            id: 'dmz-1',
            url: 'https://dmz-1.internal:8443',
            serverFingerprint: 'abc',
            clientCertificate: '/etc/acme-ha/dmz-client.pem',
            clientKey: '/etc/acme-ha/dmz-client.key',
            certificates: ['app'],
          },
        ],
      }),
    ).toEqual([`dmz[0].serverFingerprint: ${message}`]);
  });

  it('the shipped examples still pass', () => {
    const examples = join(import.meta.dirname, '..', '..', '..', 'examples');
    expect(() =>
      parseConfig(readFileSync(join(examples, 'acme-ha.yaml'), 'utf8'), 'acme-ha.yaml'),
    ).not.toThrow();
    expect(() =>
      parseYamlConfig(readFileSync(join(examples, 'agent.yaml'), 'utf8'), 'agent.yaml', agentConfigSchema),
    ).not.toThrow();
  });
});

describe('a key password of its own is for jks and pkcs12 keystores only', () => {
  const PEM_KEY_PASSWORD = 'PEM files have no key password: privkey.pem is not encrypted';
  /** The keystore's problems in a certificate configuration (whatever else it may be missing). */
  const keystoreProblems = (keystore: object) =>
    problemsOf(configSchema, {
      version: 1,
      certificates: [{ id: 'app', domains: ['app.example.com'], groups: ['web'], keystores: [keystore] }],
      nodes: [{ id: 'web-1', groups: ['web'] }],
    }).filter((p) => p.startsWith('certificates[0].keystores'));

  it('the certificate configuration takes it from any secret source, and refuses it on pem', () => {
    const password = { secretsManager: 'acme-ha/store-password' };
    for (const keyPassword of [{ secretsManager: 'acme-ha/key-password' }, { env: 'KEY_PASS' }]) {
      for (const format of ['jks', 'pkcs12'])
        expect(keystoreProblems({ format, alias: 'tomcat', password, keyPassword })).toEqual([]);
    }
    expect(keystoreProblems({ format: 'pem', keyPassword: { env: 'KEY_PASS' } })).toEqual([
      `certificates[0].keystores[0].keyPassword: ${PEM_KEY_PASSWORD}`,
    ]);
    expect(keystoreProblems({ format: 'jks', password, keyPassword: 'plain text' })).toEqual([
      'certificates[0].keystores[0].keyPassword: must be one of { env: NAME }, { secretsManager: ID }, { ssmParameter: /PATH }',
    ]);
  });

  it('an agent or DMZ target takes it from the environment, and refuses it on pem', () => {
    const jks = aTarget({
      format: 'jks',
      path: '/opt/app/server.jks',
      alias: 'tomcat',
      password: { env: 'KS_PASS' },
      keyPassword: { env: 'KEY_PASS' },
    });
    expect(agentProblems([jks])).toEqual([]);
    expect(dmzProblems([{ ...jks, format: 'pkcs12' }])).toEqual([]);
    const agent = parseYamlConfig(JSON.stringify(anAgentConfig([jks])), 'agent.yaml', agentConfigSchema);
    expect(agent.targets[0]?.keyPassword).toEqual({ env: 'KEY_PASS' });

    const pem = aTarget({ keyPassword: { env: 'KEY_PASS' } });
    expect(agentProblems([pem])).toEqual([`targets[0].keyPassword: ${PEM_KEY_PASSWORD}`]);
    expect(dmzProblems([pem])).toEqual([`targets[0].keyPassword: ${PEM_KEY_PASSWORD}`]);
    // As the store password: a node's secrets come from its environment file only.
    expect(agentProblems([{ ...jks, keyPassword: { secretsManager: 'x' } }])).toContain(
      'targets[0].keyPassword: Unrecognized key: "secretsManager"',
    );
  });
});

describe('certificate lifecycle settings', () => {
  const withSettings = (settings: object) => ({
    version: 1,
    certificates: [
      {
        id: 'app',
        domains: ['app.example.com'],
        groups: ['web'],
        keystores: [{ format: 'pem' }],
        ...settings,
      },
    ],
    nodes: [{ id: 'web-1', groups: ['web'] }],
  });
  const settingProblems = (settings: object) => problemsOf(configSchema, withSettings(settings));
  const parsedCertificate = (settings: object) => configSchema.parse(withSettings(settings)).certificates[0];

  it('renewBefore: a duration before expiry or a share of the lifetime', () => {
    expect(parsedCertificate({ renewBefore: '30d' })?.renewBefore).toBe('30d');
    expect(parsedCertificate({})?.renewBefore).toBeUndefined();
    expect(renewBeforeOf('30d')).toEqual({ ms: 30 * 86_400_000 });
    expect(renewBeforeOf('36h')).toEqual({ ms: 36 * 3_600_000 });
    expect(renewBeforeOf('90m')).toEqual({ ms: 90 * 60_000 });
    expect(renewBeforeOf('25%')).toEqual({ share: 0.25 });
    const message =
      'certificates[0].renewBefore: must be a duration before expiry such as "30d", "36h" or "90m", or a share of the lifetime such as "33%" (above 0, below 100%)';
    for (const bad of ['0d', '100%', '30', '-5d', '1w', '', ' 30d'])
      expect(settingProblems({ renewBefore: bad }), bad).toEqual([message]);
    expect(settingProblems({ renewBefore: 30 })).toEqual([
      'certificates[0].renewBefore: Invalid input: expected string, received number',
    ]);
  });

  it('key: rotation always (the default) or reuse', () => {
    expect(parsedCertificate({})?.key).toEqual({ rotation: 'always' });
    expect(parsedCertificate({ key: { rotation: 'reuse' } })?.key).toEqual({ rotation: 'reuse' });
    expect(settingProblems({ key: { rotation: 'sometimes' } })).toEqual([
      'certificates[0].key.rotation: Invalid option: expected one of "always"|"reuse"',
    ]);
    expect(settingProblems({ key: { reuse: true } })).toEqual([
      'certificates[0].key: Unrecognized key: "reuse"',
    ]);
  });

  it('preferredChain: an issuer common name', () => {
    expect(
      parsedCertificate({ preferredChain: { issuerCommonName: 'ISRG Root X2' } })?.preferredChain,
    ).toEqual({
      issuerCommonName: 'ISRG Root X2',
    });
    expect(settingProblems({ preferredChain: {} })).toEqual([
      'certificates[0].preferredChain.issuerCommonName: required (string)',
    ]);
    expect(settingProblems({ preferredChain: 'ISRG Root X2' })).toEqual([
      'certificates[0].preferredChain: Invalid input: expected object, received string',
    ]);
  });
});
