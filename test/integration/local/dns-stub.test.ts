/** The DNS stub Pebble validates through: every name is 127.0.0.1, and nothing else. */
import DNS from 'dns2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DnsStub, startDnsStub } from '../../../local/dns.ts';

describe('DNS stub', () => {
  let stub: DnsStub;
  let resolver: DNS;
  beforeAll(async () => {
    stub = await startDnsStub();
    resolver = new DNS({ nameServers: [stub.host], port: stub.port, recursive: false });
  });
  afterAll(() => stub?.stop());

  it('answers every A query with 127.0.0.1', async () => {
    for (const name of ['www.acme-ha.test', 'a.b.c.example.com', 'localhost']) {
      const { answers } = await resolver.resolveA(name);
      expect(answers.map((a) => [a.name, a.address])).toEqual([[name, '127.0.0.1']]);
    }
  });

  it('has no AAAA record, so validation never tries ::1', async () => {
    const { answers, header } = await resolver.resolveAAAA('www.acme-ha.test');
    expect(answers).toEqual([]);
    expect(header.rcode).toBe(0);
  });
});
