/**
 * Contract of the Route 53 stand-in, through the real @aws-sdk/client-route-53 and real DNS
 * queries at the DNS stub it feeds (the one Pebble validates DNS-01 through): zones, TXT record
 * sets written the way DNS-01 needs them, GetChange PENDING → INSYNC, exact DELETE, the errors the
 * SDK maps, CNAME delegation, and the stack's `route53` option.
 */
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { promisify } from 'node:util';
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  HostedZoneAlreadyExists,
  InvalidChangeBatch,
  InvalidInput,
  ListHostedZonesByNameCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  NoSuchHostedZone,
  Route53Client,
} from '@aws-sdk/client-route-53';
import DNS from 'dns2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DnsStub, startDnsStub } from '../../../local/dns.ts';
import { type Route53StandIn, startRoute53StandIn } from '../../../local/route53-standin.ts';
import { type StackProgress, startLocalStack } from '../../../local/stack.ts';
import { useLocalStack } from '../../support/local-stack.ts';

const run = promisify(execFile);
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const CHANGE_DELAY_MS = 150;
/** Two DNS-01 digests on one name, as an order for `*.zone` and `zone` needs. */
const WILDCARD_DIGEST = 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
const APEX_DIGEST = '9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI';

function txtChange(action: Change['Action'], name: string, values: readonly string[], ttl = 60): Change {
  return {
    Action: action,
    ResourceRecordSet: {
      Name: name,
      Type: 'TXT',
      TTL: ttl,
      ResourceRecords: values.map((Value) => ({ Value })),
    },
  };
}

function cnameChange(name: string, target: string): Change {
  return {
    Action: 'UPSERT',
    ResourceRecordSet: { Name: name, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: target }] },
  };
}

async function createZone(route53: Route53Client, name: string): Promise<string> {
  const { HostedZone } = await route53.send(
    new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${Date.now()}` }),
  );
  if (!HostedZone?.Id) throw new Error('no zone id');
  return HostedZone.Id;
}

async function change(route53: Route53Client, zoneId: string, changes: Change[]): Promise<string> {
  const { ChangeInfo } = await route53.send(
    new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }),
  );
  if (!ChangeInfo?.Id) throw new Error('no change id');
  return ChangeInfo.Id;
}

/** Polls GetChange as the adapter will; returns every status seen, in order. */
async function waitInsync(route53: Route53Client, changeId: string): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const { ChangeInfo } = await route53.send(new GetChangeCommand({ Id: changeId }));
    seen.push(ChangeInfo?.Status ?? '');
    if (ChangeInfo?.Status === 'INSYNC') return seen;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`change ${changeId} not INSYNC after 5 s: ${seen.join(' ')}`);
}

async function recordSets(route53: Route53Client, zoneId: string) {
  const { ResourceRecordSets } = await route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }),
  );
  return (ResourceRecordSets ?? []).map((s) => ({
    name: s.Name,
    type: s.Type,
    ttl: s.TTL,
    values: (s.ResourceRecords ?? []).map((r) => r.Value),
  }));
}

function dnsResolver(address: string): Resolver {
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([address]);
  return resolver;
}

/** TXT answers as sorted strings (each record's character-strings joined with '|'). */
async function txtOf(resolver: Resolver, name: string): Promise<string[]> {
  try {
    return (await resolver.resolveTxt(name)).map((strings) => strings.join('|')).sort();
  } catch (error) {
    // NOERROR without answers: "exists, no such record".
    if ((error as NodeJS.ErrnoException).code === 'ENODATA') return [];
    throw error;
  }
}

describe('Route 53 stand-in, through the real SDK and the DNS stub', () => {
  let standIn: Route53StandIn;
  let stub: DnsStub;
  let route53: Route53Client;
  let resolver: Resolver;

  beforeAll(async () => {
    standIn = await startRoute53StandIn({ changeDelayMs: CHANGE_DELAY_MS });
    stub = await startDnsStub({ records: standIn.records });
    route53 = new Route53Client({
      endpoint: standIn.endpoint,
      region: 'us-east-1',
      credentials: CREDENTIALS,
    });
    resolver = dnsResolver(stub.address);
  });
  afterAll(async () => {
    route53?.destroy();
    await stub?.stop();
    await standIn?.stop();
  });

  it('creates a hosted zone, gets it and finds it by name', async () => {
    const created = await route53.send(
      new CreateHostedZoneCommand({
        Name: 'Zone-A.test',
        CallerReference: 'zone-a',
        HostedZoneConfig: { Comment: 'DNS-01' },
      }),
    );
    expect(created.$metadata.httpStatusCode).toBe(201);
    const id = created.HostedZone?.Id ?? '';
    expect(id).toMatch(/^\/hostedzone\/Z[0-9A-Z]+$/);
    expect(created.Location).toBe(`${standIn.endpoint}/2013-04-01${id}`);
    expect(created.HostedZone).toMatchObject({
      Name: 'zone-a.test.',
      CallerReference: 'zone-a',
      Config: { Comment: 'DNS-01', PrivateZone: false },
      ResourceRecordSetCount: 2,
    });
    expect(created.ChangeInfo?.Status).toBe('PENDING');
    expect(created.DelegationSet?.NameServers).toHaveLength(4);

    // The SDK strips the /hostedzone/ prefix from ids it sends.
    const got = await route53.send(new GetHostedZoneCommand({ Id: id }));
    expect(got.HostedZone?.Name).toBe('zone-a.test.');
    expect(await recordSets(route53, id)).toEqual([
      { name: 'zone-a.test.', type: 'NS', ttl: 172800, values: expect.any(Array) },
      { name: 'zone-a.test.', type: 'SOA', ttl: 900, values: [expect.any(String)] },
    ]);

    for (const dnsName of ['zone-a.test', 'ZONE-A.TEST.']) {
      const { HostedZones, DNSName } = await route53.send(
        new ListHostedZonesByNameCommand({ DNSName: dnsName, MaxItems: 1 }),
      );
      expect(DNSName).toBe(dnsName);
      expect(HostedZones?.map((z) => [z.Id, z.Name])).toEqual([[id, 'zone-a.test.']]);
    }

    await expect(
      route53.send(new CreateHostedZoneCommand({ Name: 'other.test', CallerReference: 'zone-a' })),
    ).rejects.toBeInstanceOf(HostedZoneAlreadyExists);

    // The region does not matter with an endpoint (Route 53 is global; the SDK signs for us-east-1).
    const elsewhere = new Route53Client({
      endpoint: standIn.endpoint,
      region: 'eu-central-1',
      credentials: CREDENTIALS,
    });
    try {
      expect((await elsewhere.send(new GetHostedZoneCommand({ Id: id }))).HostedZone?.Id).toBe(id);
    } finally {
      elsewhere.destroy();
    }
  });

  it('lists zones by name in Route 53 order (labels reversed), page by page', async () => {
    const ids = new Map<string, string>();
    for (const name of ['b.order.test', 'order.test', 'a.order.test']) {
      ids.set(`${name}.`, await createZone(route53, name));
    }
    const first = await route53.send(
      new ListHostedZonesByNameCommand({ DNSName: 'order.test', MaxItems: 2 }),
    );
    expect(first.HostedZones?.map((z) => z.Name)).toEqual(['order.test.', 'a.order.test.']);
    expect(first).toMatchObject({ IsTruncated: true, MaxItems: 2, NextDNSName: 'b.order.test.' });
    expect(first.NextHostedZoneId).toBe(ids.get('b.order.test.')?.replace('/hostedzone/', ''));

    const second = await route53.send(
      new ListHostedZonesByNameCommand({
        DNSName: first.NextDNSName,
        HostedZoneId: first.NextHostedZoneId,
        MaxItems: 2,
      }),
    );
    expect(second.HostedZones?.[0]?.Name).toBe('b.order.test.');
    // Finding the zone of a record name: the first zone listed from that name is not its zone.
    const fromRecord = await route53.send(
      new ListHostedZonesByNameCommand({ DNSName: '_acme-challenge.www.a.order.test', MaxItems: 1 }),
    );
    expect(fromRecord.HostedZones?.[0]?.Name).toBe('b.order.test.');
  });

  it('upserts two TXT values on one name and serves them once the change is INSYNC', async () => {
    const zoneId = await createZone(route53, 'wild.test');
    const name = '_acme-challenge.wild.test';
    const started = Date.now();
    const changeId = await change(route53, zoneId, [
      txtChange('UPSERT', name, [`"${WILDCARD_DIGEST}"`, `"${APEX_DIGEST}"`]),
    ]);
    expect(changeId).toMatch(/^\/change\/C[0-9A-Z]+$/);

    // Written (the API shows it at once) but not yet on the name servers.
    expect(await recordSets(route53, zoneId)).toContainEqual({
      name: '_acme-challenge.wild.test.',
      type: 'TXT',
      ttl: 60,
      values: [`"${WILDCARD_DIGEST}"`, `"${APEX_DIGEST}"`],
    });
    expect(standIn.records(name, 'TXT')).toEqual([]);
    expect(await txtOf(resolver, name)).toEqual([]);

    const statuses = await waitInsync(route53, changeId);
    expect(statuses[0]).toBe('PENDING');
    expect(statuses.at(-1)).toBe('INSYNC');
    expect(Date.now() - started).toBeGreaterThanOrEqual(CHANGE_DELAY_MS);

    expect(standIn.records('_ACME-Challenge.Wild.Test.', 'TXT')).toEqual([
      `"${WILDCARD_DIGEST}"`,
      `"${APEX_DIGEST}"`,
    ]);
    expect(await txtOf(resolver, name)).toEqual([APEX_DIGEST, WILDCARD_DIGEST].sort());
    // Every other name still resolves to 127.0.0.1 (HTTP-01 keeps working).
    expect(await resolver.resolve4('www.wild.test')).toEqual(['127.0.0.1']);

    // An UPSERT replaces the whole set; multi-string values keep their strings, and Route 53's
    // escapes (\" and \ooo in octal) are resolved on the wire.
    const escaped = String.raw`"say \"hi\" caf\303\251"`;
    await waitInsync(
      route53,
      await change(route53, zoneId, [txtChange('UPSERT', name, ['"part one" "two"', escaped])]),
    );
    // Node's resolver hands TXT bytes over as latin1; the bytes on the wire are é in UTF-8.
    const answered = (await txtOf(resolver, name)).map((t) => Buffer.from(t, 'latin1').toString('utf8'));
    expect(answered).toEqual(['part one|two', 'say "hi" café']);
    expect(standIn.records(name, 'TXT')).toEqual(['"part one" "two"', escaped]);
  });

  it('deletes only on an exact match of TTL and values, and atomically', async () => {
    const zoneId = await createZone(route53, 'delete.test');
    const name = '_acme-challenge.delete.test';
    const values = ['"one"', '"two"'];
    await waitInsync(route53, await change(route53, zoneId, [txtChange('CREATE', name, values)]));

    const refused = async (changes: Change[]) => {
      const error = await change(route53, zoneId, changes).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidChangeBatch);
      return (error as InvalidChangeBatch).message;
    };
    const mismatch =
      "[Tried to delete resource record set [name='_acme-challenge.delete.test.', type='TXT'] but the values provided do not match the current values]";
    expect(await refused([txtChange('DELETE', name, values, 300)])).toBe(mismatch);
    expect(await refused([txtChange('DELETE', name, ['"one"'])])).toBe(mismatch);
    expect(await refused([txtChange('DELETE', 'gone.delete.test', values)])).toBe(
      "[Tried to delete resource record set [name='gone.delete.test.', type='TXT'] but it was not found]",
    );
    // One bad change refuses the whole batch: the UPSERT before it is not applied.
    expect(
      await refused([
        txtChange('UPSERT', 'other.delete.test', ['"x"']),
        txtChange('DELETE', name, ['"three"']),
      ]),
    ).toBe(mismatch);
    expect((await recordSets(route53, zoneId)).map((s) => s.name)).not.toContain('other.delete.test.');

    // Exact match: any order of values, any case, with or without the dot.
    const deleted = await change(route53, zoneId, [
      txtChange('DELETE', '_ACME-CHALLENGE.delete.test.', ['"two"', '"one"']),
    ]);
    expect((await recordSets(route53, zoneId)).map((s) => s.type)).toEqual(['NS', 'SOA']);
    // Still answered until the deletion is INSYNC, then gone.
    expect(await txtOf(resolver, name)).toEqual(['one', 'two']);
    await waitInsync(route53, deleted);
    expect(await txtOf(resolver, name)).toEqual([]);
    expect(standIn.records(name, 'TXT')).toEqual([]);

    // A DELETE and then a CREATE of the same set replaces it in one batch.
    await change(route53, zoneId, [txtChange('CREATE', name, ['"a"'])]);
    await change(route53, zoneId, [txtChange('DELETE', name, ['"a"']), txtChange('CREATE', name, ['"b"'])]);
    expect((await recordSets(route53, zoneId)).find((s) => s.type === 'TXT')?.values).toEqual(['"b"']);
  });

  it('refuses names outside the zone and invalid record sets with InvalidChangeBatch', async () => {
    const zoneId = await createZone(route53, 'strict.test');
    await change(route53, zoneId, [txtChange('CREATE', 'taken.strict.test', ['"x"'])]);
    const messageOf = (changes: Change[]) =>
      change(route53, zoneId, changes).then(
        () => 'accepted',
        (e: unknown) =>
          e instanceof InvalidChangeBatch ? e.message : `${(e as Error).name}: ${(e as Error).message}`,
      );

    expect(await messageOf([txtChange('UPSERT', '_acme-challenge.example.org', ['"x"'])])).toBe(
      '[RRSet with DNS name _acme-challenge.example.org. is not permitted in zone strict.test.]',
    );
    // A name that merely ends like the zone is outside it too.
    expect(await messageOf([txtChange('UPSERT', 'notstrict.test', ['"x"'])])).toMatch(
      /is not permitted in zone/,
    );
    expect(await messageOf([txtChange('UPSERT', 'a.strict.test', ['unquoted'])])).toBe(
      "[Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with 'unquoted'']",
    );
    expect(await messageOf([txtChange('UPSERT', 'a.strict.test', [`"${'x'.repeat(256)}"`])])).toMatch(
      /CharacterStringTooLong/,
    );
    expect(await messageOf([txtChange('UPSERT', 'a.strict.test', ['"x"', '"x"'])])).toBe(
      `[Duplicate Resource Record: '"x"']`,
    );
    expect(await messageOf([txtChange('CREATE', 'taken.strict.test', ['"y"'])])).toBe(
      "[Tried to create resource record set [name='taken.strict.test.', type='TXT'] but it already exists]",
    );
    expect(await messageOf([cnameChange('taken.strict.test', 'elsewhere.test')])).toMatch(
      /RRSet of type CNAME with DNS name taken\.strict\.test\. is not permitted as it conflicts with other records/,
    );
    expect(await messageOf([cnameChange('strict.test', 'elsewhere.test')])).toMatch(/not permitted at apex/);
    expect(
      await messageOf([
        txtChange('UPSERT', 'a.strict.test', ['"x"']),
        txtChange('UPSERT', 'a.strict.test', ['"y"']),
      ]),
    ).toBe("[The request contains an invalid set of changes for a resource record set 'TXT a.strict.test.']");
    // Every problem of a batch is listed.
    expect(
      await messageOf([
        txtChange('UPSERT', 'x.example.org', ['"x"']),
        txtChange('DELETE', 'missing.strict.test', ['"x"']),
      ]),
    ).toBe(
      "[RRSet with DNS name x.example.org. is not permitted in zone strict.test., Tried to delete resource record set [name='missing.strict.test.', type='TXT'] but it was not found]",
    );
  });

  it('refuses what it does not implement, and unknown ids, with the errors the SDK maps', async () => {
    const zoneId = await createZone(route53, 'refuse.test');
    const unsupported: Change[] = [
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: 'a.refuse.test',
          Type: 'A',
          TTL: 60,
          ResourceRecords: [{ Value: '192.0.2.1' }],
        },
      },
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: 'a.refuse.test',
          Type: 'TXT',
          SetIdentifier: 'blue',
          Weight: 1,
          TTL: 60,
          ResourceRecords: [{ Value: '"x"' }],
        },
      },
      txtChange('UPSERT', '*.refuse.test', ['"x"']),
      {
        Action: 'UPSERT',
        ResourceRecordSet: { Name: 'a.refuse.test', Type: 'TXT', ResourceRecords: [{ Value: '"x"' }] },
      },
    ];
    for (const c of unsupported) {
      await expect(change(route53, zoneId, [c])).rejects.toBeInstanceOf(InvalidInput);
    }
    await expect(change(route53, zoneId, [unsupported[0] as Change])).rejects.toThrow(
      /not supported by the local Route 53 stand-in/,
    );
    await expect(
      route53.send(
        new CreateHostedZoneCommand({ Name: 'vpc.test', CallerReference: 'vpc', VPC: { VPCId: 'vpc-1' } }),
      ),
    ).rejects.toBeInstanceOf(InvalidInput);

    await expect(
      change(route53, '/hostedzone/ZNOSUCHZONE', [txtChange('UPSERT', 'a.test', ['"x"'])]),
    ).rejects.toSatisfy((e: unknown) => e instanceof NoSuchHostedZone && e.$metadata.httpStatusCode === 404);
    await expect(route53.send(new GetHostedZoneCommand({ Id: 'ZNOSUCHZONE' }))).rejects.toBeInstanceOf(
      NoSuchHostedZone,
    );
    await expect(route53.send(new GetChangeCommand({ Id: '/change/CNOSUCHCHANGE' }))).rejects.toBeInstanceOf(
      NoSuchChange,
    );
    // Operations it leaves out: 501 NotImplemented, not retried, not answered with made-up data.
    await expect(route53.send(new ListHostedZonesCommand({}))).rejects.toMatchObject({
      name: 'NotImplemented',
      $metadata: { httpStatusCode: 501, attempts: 1 },
    });
  });

  it('answers broken XML and prototype-polluting element names with InvalidInput, and is not polluted', async () => {
    const zoneId = await createZone(route53, 'xml.test');
    const post = (body: string) =>
      fetch(`${standIn.endpoint}/2013-04-01/hostedzone/${zoneId.replace('/hostedzone/', '')}/rrset`, {
        method: 'POST',
        body,
      });
    const bodies = [
      '<ChangeResourceRecordSetsRequest><ChangeBatch></ChangeResourceRecordSetsRequest>',
      '<ChangeResourceRecordSetsRequest><__proto__><polluted>yes</polluted></__proto__></ChangeResourceRecordSetsRequest>',
      '<ChangeResourceRecordSetsRequest><constructor><prototype><polluted>yes</polluted></prototype></constructor></ChangeResourceRecordSetsRequest>',
    ];
    for (const body of bodies) {
      const answer = await post(body);
      expect(answer.status).toBe(400);
      expect(await answer.text()).toContain('<Code>InvalidInput</Code>');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('follows CNAME delegation of _acme-challenge to a validation zone', async () => {
    const customer = await createZone(route53, 'customer.test');
    const validation = await createZone(route53, 'validation.test');
    const target = '_acme-challenge.customer.test.validation.test';
    await waitInsync(
      route53,
      await change(route53, customer, [cnameChange('_acme-challenge.customer.test', target)]),
    );
    await waitInsync(
      route53,
      await change(route53, validation, [txtChange('UPSERT', target, [`"${APEX_DIGEST}"`])]),
    );

    expect(await resolver.resolveCname('_acme-challenge.customer.test')).toEqual([target]);
    expect(await txtOf(resolver, '_acme-challenge.customer.test')).toEqual([APEX_DIGEST]);

    // What Pebble sees: one plain UDP query, the CNAME and the TXT record in one answer.
    const dns2 = new DNS({ nameServers: [stub.host], port: stub.port, recursive: false });
    const { answers } = await dns2.resolve('_acme-challenge.customer.test', 'TXT');
    expect(answers.map((a) => [a.name, a.type, a.domain ?? a.data])).toEqual([
      ['_acme-challenge.customer.test', DNS.Packet.TYPE.CNAME, target],
      [target, DNS.Packet.TYPE.TXT, [APEX_DIGEST]],
    ]);
  });

  it('is reached through AWS_ENDPOINT_URL_ROUTE_53 by a child process', async () => {
    const script = `
      import { ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53';
      const client = new Route53Client({});
      const { HostedZones } = await client.send(new ListHostedZonesByNameCommand({ DNSName: 'zone-a.test', MaxItems: 1 }));
      console.log(JSON.stringify(HostedZones.map((z) => z.Name)));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_ROUTE_53: standIn.endpoint,
      },
    });
    expect(JSON.parse(stdout)).toEqual(['zone-a.test.']);
  });
});

describe('the embedded stack with route53: true', () => {
  const events: StackProgress[] = [];
  const stack = useLocalStack({
    route53: { changeDelayMs: 50 },
    prefix: 'route53',
    onProgress: (e) => events.push(e),
  });

  it('serves a TXT written through the SDK to DNS queries at the stub Pebble uses', async () => {
    const { endpoints, env, pebble, region } = stack();
    expect(pebble).toBeDefined();
    expect(endpoints.route53).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.AWS_ENDPOINT_URL_ROUTE_53).toBe(endpoints.route53);
    expect(events.filter((e) => e.phase === 'ready').map((e) => e.component)).toContain('route53');

    const route53 = new Route53Client({
      endpoint: env.AWS_ENDPOINT_URL_ROUTE_53,
      region,
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
      },
    });
    try {
      const zoneId = await createZone(route53, 'stack.test');
      const name = '_acme-challenge.stack.test';
      await waitInsync(
        route53,
        await change(route53, zoneId, [txtChange('UPSERT', name, [`"${WILDCARD_DIGEST}"`])]),
      );
      // endpoints.dns is the -dnsserver Pebble was started with.
      const resolver = dnsResolver(endpoints.dns ?? '');
      expect(await txtOf(resolver, name)).toEqual([WILDCARD_DIGEST]);
      expect(await resolver.resolve4('stack.test')).toEqual(['127.0.0.1']);
      expect(stack().route53?.records(name, 'TXT')).toEqual([`"${WILDCARD_DIGEST}"`]);
    } finally {
      route53.destroy();
    }
  });

  it('stops the stand-in with the stack', async () => {
    const own = await startLocalStack({ route53: true, pebble: false, prefix: 'route53-stop' });
    const endpoint = own.endpoints.route53 ?? '';
    expect(own.endpoints.dns).toBeUndefined();
    expect((await fetch(`${endpoint}/2013-04-01/change/C1`)).status).toBe(404);
    await own.stop();
    await expect(fetch(`${endpoint}/2013-04-01/change/C1`)).rejects.toThrow();
  });
});
