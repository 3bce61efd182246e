import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  type HostedZone,
  InvalidChangeBatch,
  ListHostedZonesByNameCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { DnsUpdateError } from '../../core/errors.ts';
import type { DnsTxtRecords } from '../../core/ports/dns-txt-records.ts';

export interface Route53Options {
  /** How often to ask whether a change is INSYNC; Route 53 takes tens of seconds. */
  readonly pollMs?: number;
  /** Give up waiting for INSYNC after this long. */
  readonly timeoutMs?: number;
}

const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;

/**
 * DNS-01 TXT records in Route 53: the hosted zone is the public zone with the longest name that
 * contains the record; writes are UPSERTs, and `set` waits until Route 53 reports the change INSYNC
 * on all its name servers before the CA is asked to look.
 */
export class Route53TxtRecords implements DnsTxtRecords {
  private readonly zones = new Map<string, Promise<HostedZone>>();

  constructor(
    private readonly route53: Route53Client,
    private readonly options: Route53Options = {},
  ) {}

  async set(name: string, values: readonly string[]): Promise<void> {
    const changeId = await this.change(name, 'UPSERT', values);
    const deadline = Date.now() + (this.options.timeoutMs ?? 300_000);
    for (;;) {
      const { ChangeInfo } = await this.route53.send(new GetChangeCommand({ Id: changeId }));
      if (ChangeInfo?.Status === 'INSYNC') return;
      if (Date.now() > deadline) throw new DnsUpdateError(`Route 53 change for ${name} not in sync in time`);
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 2000));
    }
  }

  async remove(name: string, values: readonly string[]): Promise<void> {
    try {
      await this.change(name, 'DELETE', values);
    } catch (error) {
      // Route 53 refuses to delete what is not there exactly; gone is what we wanted.
      if (!(error instanceof DnsUpdateError && error.cause instanceof InvalidChangeBatch)) throw error;
    }
  }

  private async change(
    name: string,
    action: 'UPSERT' | 'DELETE',
    values: readonly string[],
  ): Promise<string> {
    const zone = await this.zoneOf(name);
    try {
      const { ChangeInfo } = await this.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zone.Id,
          ChangeBatch: {
            Comment: 'acme-ha DNS-01',
            Changes: [
              {
                Action: action,
                ResourceRecordSet: {
                  Name: fqdn(name),
                  Type: 'TXT',
                  TTL: 60,
                  ResourceRecords: values.map((value) => ({ Value: JSON.stringify(value) })),
                },
              },
            ],
          },
        }),
      );
      if (!ChangeInfo?.Id) throw new DnsUpdateError(`Route 53 returned no change id for ${name}`);
      return ChangeInfo.Id;
    } catch (error) {
      if (error instanceof DnsUpdateError) throw error;
      throw new DnsUpdateError(`Route 53 ${action} of TXT ${name} failed: ${(error as Error).name}`, {
        cause: error,
      });
    }
  }

  private zoneOf(name: string): Promise<HostedZone> {
    const record = fqdn(name);
    const parent = record.split('.').slice(1).join('.');
    let cached = this.zones.get(parent);
    if (!cached) {
      cached = this.findZone(record);
      cached.catch(() => this.zones.delete(parent));
      this.zones.set(parent, cached);
    }
    return cached;
  }

  /** The public zone with the longest name that is a suffix of the record name. */
  private async findZone(record: string): Promise<HostedZone> {
    const labels = record.split('.').filter(Boolean);
    for (let i = 1; i < labels.length; i++) {
      const candidate = `${labels.slice(i).join('.')}.`;
      const { HostedZones } = await this.route53.send(
        new ListHostedZonesByNameCommand({ DNSName: candidate, MaxItems: 1 }),
      );
      const zone = HostedZones?.find((z) => z.Name?.toLowerCase() === candidate && !z.Config?.PrivateZone);
      if (zone) return zone;
    }
    throw new DnsUpdateError(`no Route 53 hosted zone holds ${record}`);
  }
}
