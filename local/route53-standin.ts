/**
 * A LOCAL STAND-IN FOR AMAZON ROUTE 53, not an emulator: no Route 53 emulator runs here, so this
 * covers the part of the Route 53 REST-XML API (2013-04-01) that DNS-01 validation needs, answering
 * the real @aws-sdk/client-route-53 v3, and feeds the DNS stub Pebble validates through.
 *
 * Covered: CreateHostedZone (public zones; idempotency by CallerReference → HostedZoneAlreadyExists),
 * GetHostedZone, DeleteHostedZone (HostedZoneNotEmpty), ListHostedZonesByName (Route 53's order:
 * labels reversed, then ID; dnsname/hostedzoneid/maxitems paging), ChangeResourceRecordSets with
 * CREATE, UPSERT and DELETE of simple TXT and CNAME record sets (checked like Route 53: atomic
 * batches, names inside the zone, quoted TXT strings of at most 255 bytes, one CNAME value and no
 * CNAME at the apex or beside other records, CREATE of an existing set and DELETE of a missing or
 * different one (TTL and values must match exactly) → InvalidChangeBatch listing every problem),
 * GetChange (PENDING until `changeDelayMs` has passed, then INSYNC) and ListResourceRecordSets
 * (with the SOA and NS records every zone starts with, in Route 53's order, name/type paging).
 * Errors are Route 53 XML errors, so the SDK raises InvalidChangeBatch, NoSuchHostedZone,
 * InvalidInput… Names are case-insensitive, with or without the trailing dot, and come back in
 * lower case with the dot.
 *
 * The DNS view (`records()`, which the DNS stub answers from) changes only when a change is INSYNC:
 * a client that tells the CA before GetChange says INSYNC sees its validation fail, as it can
 * against Route 53's name servers. Lookups go to the most specific hosted zone holding the name, as
 * if every zone were delegated; of two zones with the same name, the older one answers.
 *
 * Left out (refused with InvalidInput or NotImplemented, never ignored): record types other than TXT
 * and CNAME (SOA and NS of a zone are read-only), alias records, routing policies (SetIdentifier,
 * Weight, Region, GeoLocation, Failover, MultiValueAnswer, CIDR and geoproximity), health checks,
 * traffic policies, wildcard and escaped (`\ooo`) record names, private zones (VPCs), reusable
 * delegation sets, DNSSEC, query logging, tags, ListHostedZones and every other operation.
 * Not checked: authentication (any credentials pass), IAM, limits and quotas, zone names that AWS
 * reserves. The name servers (`ns-N.route53-standin.invalid`) do not exist.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeHttp } from '../adapters/http/http-server.ts';
import { LocalStackError } from './local-stack-error.ts';
import { LOOPBACK, serveStandIn } from './net.ts';
import { readRequestBody } from './read-body.ts';
import {
  canonicalName,
  compareRecordSets,
  compareStrings,
  isInZone,
  type RecordSet,
  type RecordType,
  recordName,
  sameRecordSet,
  sortKey,
  ttlOf,
  valueProblems,
  type WritableType,
  writableType,
  zoneName,
} from './route53-record-sets.ts';
import {
  child,
  children,
  element,
  invalidChangeBatch,
  invalidInput,
  noSuchHostedZone,
  notSupported,
  parseRequest,
  Route53ApiError,
  requiredText,
  text,
  type XmlElement,
  xmlDocument,
  xmlError,
} from './route53-rest-xml.ts';

export interface Route53StandInOptions {
  /**
   * How long each change stays PENDING (GetChange) before it is INSYNC and its records are served.
   * @default 0 (INSYNC at the first GetChange; the change's own response always says PENDING)
   */
  readonly changeDelayMs?: number;
}

export interface Route53StandIn {
  readonly endpoint: string;
  readonly port: number;
  /**
   * What the name servers answer: the values of a record set as written (TXT values quoted, as
   * Route 53 takes them), once the change that wrote them is INSYNC. Names are case-insensitive,
   * with or without the trailing dot; no values for a name outside every zone.
   */
  records(name: string, type: WritableType): string[];
  /** Idempotent. */
  stop(): Promise<void>;
}

interface Zone {
  readonly id: string;
  readonly name: string;
  readonly callerReference: string;
  readonly comment: string | undefined;
  readonly nameServers: readonly string[];
  /** What the API shows: changes apply at once. */
  records: Map<string, RecordSet>;
  /** What the name servers answer: changes apply when INSYNC. */
  readonly served: Map<string, RecordSet>;
}

interface Change {
  readonly id: string;
  readonly submittedAt: Date;
  readonly comment: string | undefined;
  readonly insyncAt: number;
}

interface Request {
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly body: string;
}

interface Reply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly root: string;
  readonly xml: string;
}

type Route = readonly [method: string, path: RegExp, handle: (request: Request) => Reply];

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_ZONES_PER_PAGE = 100;
const MAX_RECORD_SETS_PER_PAGE = 300;
const NAME_SERVER_TTL = 172_800;
const SOA_TTL = 900;
const RECORD_SET_FIELDS = new Set(['Name', 'Type', 'TTL', 'ResourceRecords']);
const CREATE_ZONE_FIELDS = new Set(['Name', 'CallerReference', 'HostedZoneConfig']);
const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Starts the stand-in on a free port of 127.0.0.1. State lives in memory and dies with stop().
 * @throws LocalStackError when it cannot listen
 */
export async function startRoute53StandIn(options: Route53StandInOptions = {}): Promise<Route53StandIn> {
  const delay = options.changeDelayMs ?? 0;
  if (!Number.isFinite(delay) || delay < 0) {
    throw new LocalStackError('route53', `changeDelayMs must be a non-negative number, got ${delay}`);
  }
  const zones = new Map<string, Zone>();
  const changes = new Map<string, Change>();
  /** Updates of the served view, in submission order (so in order of their INSYNC time). */
  const pending: { readonly at: number; readonly apply: () => void }[] = [];
  let endpoint = '';

  const settle = () => {
    const now = Date.now();
    while (pending[0] && pending[0].at <= now) pending.shift()?.apply();
  };
  const newChange = (comment: string | undefined): Change => {
    const submittedAt = new Date();
    const change = { id: newId('C'), submittedAt, comment, insyncAt: submittedAt.getTime() + delay };
    changes.set(change.id, change);
    return change;
  };
  const zone = (id: string): Zone => {
    const found = zones.get(id);
    if (!found) throw noSuchHostedZone(id);
    return found;
  };

  const createHostedZone = ({ body }: Request): Reply => {
    const request = parseRequest(body, 'CreateHostedZoneRequest');
    refuseOthers(request, CREATE_ZONE_FIELDS, 'CreateHostedZone with');
    const name = zoneName(requiredText(request, 'Name'));
    const callerReference = requiredText(request, 'CallerReference');
    if (callerReference.length > 128) throw invalidInput('Invalid request: CallerReference is too long');
    const config = child(request, 'HostedZoneConfig');
    if (config) refuseOthers(config, new Set(['Comment', 'PrivateZone']), 'HostedZoneConfig with');
    if (config && text(config, 'PrivateZone') === 'true') throw notSupported('A private hosted zone');
    if ([...zones.values()].some((z) => z.callerReference === callerReference)) {
      throw new Route53ApiError(
        'HostedZoneAlreadyExists',
        409,
        'A hosted zone has already been created with the specified caller reference.',
      );
    }
    const id = newId('Z');
    const nameServers = [1, 2, 3, 4].map((n) => `ns-${n}.route53-standin.invalid`);
    const defaults: RecordSet[] = [
      { name, type: 'NS', ttl: NAME_SERVER_TTL, values: nameServers.map((ns) => `${ns}.`) },
      {
        name,
        type: 'SOA',
        ttl: SOA_TTL,
        values: [`${nameServers[0]}. hostmaster.route53-standin.invalid. 1 7200 900 1209600 86400`],
      },
    ];
    const records = new Map(defaults.map((set) => [key(set.name, set.type), set]));
    const created: Zone = {
      id,
      name,
      callerReference,
      comment: config ? text(config, 'Comment') : undefined,
      nameServers,
      records,
      served: new Map(records),
    };
    zones.set(id, created);
    return {
      status: 201,
      headers: { location: `${endpoint}/2013-04-01/hostedzone/${id}` },
      root: 'CreateHostedZoneResponse',
      xml:
        hostedZoneXml(created) + changeInfoXml(newChange(undefined), 'PENDING') + delegationSetXml(created),
    };
  };

  const getHostedZone = ({ params: [id = ''] }: Request): Reply => {
    const found = zone(id);
    return { root: 'GetHostedZoneResponse', xml: hostedZoneXml(found) + delegationSetXml(found) };
  };

  const deleteHostedZone = ({ params: [id = ''] }: Request): Reply => {
    const found = zone(id);
    if ([...found.records.values()].some((set) => set.type !== 'SOA' && set.type !== 'NS')) {
      throw new Route53ApiError(
        'HostedZoneNotEmpty',
        400,
        'The specified hosted zone contains non-required resource record sets and so cannot be deleted.',
      );
    }
    zones.delete(id);
    return { root: 'DeleteHostedZoneResponse', xml: changeInfoXml(newChange(undefined), 'PENDING') };
  };

  const listHostedZonesByName = ({ query }: Request): Reply => {
    const dnsName = query.get('dnsname') ?? undefined;
    const startId = query.get('hostedzoneid') ?? undefined;
    if (startId !== undefined && dnsName === undefined) {
      throw invalidInput('Invalid request: hostedzoneid requires dnsname');
    }
    const maxItems = pageSize(query.get('maxitems'), MAX_ZONES_PER_PAGE);
    const sorted = [...zones.values()].sort(
      (a, b) => compareStrings(sortKey(a.name), sortKey(b.name)) || compareStrings(a.id, b.id),
    );
    let from = 0;
    if (dnsName !== undefined) {
      const start = sortKey(zoneName(dnsName));
      from = sorted.findIndex((z) => {
        const order = compareStrings(sortKey(z.name), start);
        return order > 0 || (order === 0 && (startId === undefined || z.id >= startId));
      });
      if (from < 0) from = sorted.length;
    }
    const page = sorted.slice(from, from + maxItems);
    const next = sorted[from + maxItems];
    return {
      root: 'ListHostedZonesByNameResponse',
      xml:
        `<HostedZones>${page.map(hostedZoneXml).join('')}</HostedZones>` +
        (dnsName !== undefined ? element('DNSName', dnsName) : '') +
        (startId !== undefined ? element('HostedZoneId', startId) : '') +
        element('IsTruncated', next !== undefined) +
        (next ? element('NextDNSName', next.name) + element('NextHostedZoneId', next.id) : '') +
        element('MaxItems', maxItems),
    };
  };

  const changeResourceRecordSets = ({ params: [id = ''], body }: Request): Reply => {
    const target = zone(id);
    const request = parseRequest(body, 'ChangeResourceRecordSetsRequest');
    const batch = child(request, 'ChangeBatch');
    if (!batch) throw invalidInput('Invalid XML ; ChangeBatch is required');
    const changeElements = children(child(batch, 'Changes') ?? {}, 'Change');
    if (changeElements.length === 0)
      throw invalidInput('Invalid XML ; Changes must hold at least one Change');
    const requested = changeElements.map(readChange);

    const problems: string[] = [];
    const actionsBySet = new Map<string, string[]>();
    for (const { action, set } of requested) {
      const k = key(set.name, set.type);
      actionsBySet.set(k, [...(actionsBySet.get(k) ?? []), action]);
    }
    for (const [k, actions] of actionsBySet) {
      // Route 53 takes one change per record set, or a DELETE and then a CREATE to replace it.
      if (actions.length > 1 && actions.join(',') !== 'DELETE,CREATE') {
        const [name, type] = k.split('|');
        problems.push(
          `The request contains an invalid set of changes for a resource record set '${type} ${name}'`,
        );
      }
    }
    const working = new Map(target.records);
    for (const { action, set } of requested) {
      const { name, type } = set;
      const k = key(name, type);
      const described = `[name='${name}', type='${type}']`;
      if (!isInZone(name, target.name)) {
        problems.push(`RRSet with DNS name ${name} is not permitted in zone ${target.name}`);
        continue;
      }
      if (action === 'DELETE') {
        const current = working.get(k);
        if (!current) problems.push(`Tried to delete resource record set ${described} but it was not found`);
        else if (!sameRecordSet(current, set)) {
          problems.push(
            `Tried to delete resource record set ${described} but the values provided do not match the current values`,
          );
        } else working.delete(k);
        continue;
      }
      const invalid = valueProblems(name, type, set.values);
      if (invalid.length > 0) {
        problems.push(...invalid);
        continue;
      }
      const others = [...working.values()].filter((r) => r.name === name && r.type !== type);
      if (type === 'CNAME' && name === target.name) {
        problems.push(
          `RRSet of type CNAME with DNS name ${name} is not permitted at apex in zone ${target.name}`,
        );
      } else if (type === 'CNAME' && others.length > 0) {
        problems.push(
          `RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${target.name}`,
        );
      } else if (others.some((r) => r.type === 'CNAME')) {
        problems.push(
          `RRSet of type ${type} with DNS name ${name} is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone ${target.name}`,
        );
      } else if (action === 'CREATE' && working.has(k)) {
        problems.push(`Tried to create resource record set ${described} but it already exists`);
      } else working.set(k, set);
    }
    if (problems.length > 0) throw invalidChangeBatch(problems);

    target.records = working;
    const change = newChange(text(batch, 'Comment'));
    const updates = [...actionsBySet.keys()].map((k) => [k, working.get(k)] as const);
    pending.push({
      at: change.insyncAt,
      apply: () => {
        for (const [k, set] of updates) {
          if (set) target.served.set(k, set);
          else target.served.delete(k);
        }
      },
    });
    return { root: 'ChangeResourceRecordSetsResponse', xml: changeInfoXml(change, 'PENDING') };
  };

  const listResourceRecordSets = ({ params: [id = ''], query }: Request): Reply => {
    const target = zone(id);
    const startName = query.get('name') ?? undefined;
    const startType = query.get('type') ?? undefined;
    if (query.get('identifier') !== null) throw notSupported('The identifier parameter (routing policies)');
    if (startType !== undefined && startName === undefined) {
      throw invalidInput('Invalid request: type requires name');
    }
    const maxItems = pageSize(query.get('maxitems'), MAX_RECORD_SETS_PER_PAGE);
    const sorted = [...target.records.values()].sort(compareRecordSets);
    let from = 0;
    if (startName !== undefined) {
      const name = canonicalName(startName);
      if (!name) throw invalidInput(`Invalid request: ${startName} is not a valid DNS name`);
      from = sorted.findIndex((set) => compareRecordSets(set, { name, type: startType ?? '' }) >= 0);
      if (from < 0) from = sorted.length;
    }
    const page = sorted.slice(from, from + maxItems);
    const next = sorted[from + maxItems];
    return {
      root: 'ListResourceRecordSetsResponse',
      xml:
        `<ResourceRecordSets>${page.map(recordSetXml).join('')}</ResourceRecordSets>` +
        element('IsTruncated', next !== undefined) +
        (next ? element('NextRecordName', next.name) + element('NextRecordType', next.type) : '') +
        element('MaxItems', maxItems),
    };
  };

  const getChange = ({ params: [id = ''] }: Request): Reply => {
    const change = changes.get(id);
    if (!change) {
      throw new Route53ApiError(
        'NoSuchChange',
        404,
        `A change with the specified change ID ${id} does not exist.`,
      );
    }
    settle();
    return {
      root: 'GetChangeResponse',
      xml: changeInfoXml(change, Date.now() >= change.insyncAt ? 'INSYNC' : 'PENDING'),
    };
  };

  const routes: readonly Route[] = [
    ['POST', /^\/2013-04-01\/hostedzone\/?$/, createHostedZone],
    ['GET', /^\/2013-04-01\/hostedzonesbyname\/?$/, listHostedZonesByName],
    ['GET', /^\/2013-04-01\/hostedzone\/([^/]+)\/?$/, getHostedZone],
    ['DELETE', /^\/2013-04-01\/hostedzone\/([^/]+)\/?$/, deleteHostedZone],
    ['POST', /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/, changeResourceRecordSets],
    ['GET', /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/, listResourceRecordSets],
    ['GET', /^\/2013-04-01\/change\/([^/]+)\/?$/, getChange],
  ];

  const { server, port } = await serveStandIn('route53', (req, res) => handle(req, res, routes));
  endpoint = `http://${LOOPBACK}:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    records: (name, type) => {
      settle();
      const canonical = canonicalName(name);
      if (!canonical) return [];
      let best: Zone | undefined;
      for (const candidate of zones.values()) {
        if (isInZone(canonical, candidate.name) && candidate.name.length > (best?.name.length ?? -1)) {
          best = candidate;
        }
      }
      return [...(best?.served.get(key(canonical, type))?.values ?? [])];
    },
    stop: () => {
      stopping ??= closeHttp(server);
      return stopping;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: readonly Route[]): Promise<void> {
  const requestId = randomUUID();
  const send = (status: number, xml: string, headers: Readonly<Record<string, string>> = {}) => {
    res.writeHead(status, { ...headers, 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    res.end(xml);
  };
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    for (const [method, path, run] of routes) {
      const match = path.exec(url.pathname);
      if (!match || req.method !== method) continue;
      const params = match.slice(1).map((p) => decodeURIComponent(p));
      const reply = run({ params, query: url.searchParams, body });
      send(reply.status ?? 200, xmlDocument(reply.root, reply.xml), reply.headers);
      return;
    }
    throw new Route53ApiError(
      'NotImplemented',
      501,
      `${req.method ?? '?'} ${url.pathname} is not implemented by the local Route 53 stand-in`,
    );
  } catch (error) {
    const apiError =
      error instanceof Route53ApiError
        ? error
        : new Route53ApiError('InternalError', 500, (error as Error).message);
    send(apiError.status, xmlError(apiError, requestId));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return readRequestBody(req, MAX_BODY_BYTES, () => invalidInput('Invalid request: request too large'));
}

/** One change of a batch, read and checked for what the stand-in supports. */
function readChange(change: XmlElement): {
  action: string;
  set: RecordSet & { readonly type: WritableType };
} {
  const action = requiredText(change, 'Action');
  if (action !== 'CREATE' && action !== 'UPSERT' && action !== 'DELETE') {
    throw invalidInput(
      `Invalid XML ; the value '${action}' of element Action is not CREATE, DELETE or UPSERT`,
    );
  }
  const set = child(change, 'ResourceRecordSet');
  if (!set) throw invalidInput('Invalid XML ; ResourceRecordSet is required');
  refuseOthers(set, RECORD_SET_FIELDS, 'A record set with');
  const rawName = requiredText(set, 'Name');
  const name = recordName(rawName);
  const type = writableType(requiredText(set, 'Type'));
  const where = `Change with [Action=${action}, Name=${rawName}, Type=${type}, SetIdentifier=null]`;
  const ttl = ttlOf(text(set, 'TTL'), where);
  const values = children(child(set, 'ResourceRecords') ?? {}, 'ResourceRecord').map((r) =>
    requiredText(r, 'Value'),
  );
  if (values.length === 0) {
    throw invalidInput(
      `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in ${where}`,
    );
  }
  return { action, set: { name, type, ttl, values } };
}

/** Refuses elements the stand-in does not implement (alias targets, routing policies, VPCs…). */
function refuseOthers(element: XmlElement, allowed: ReadonlySet<string>, what: string): void {
  for (const name of Object.keys(element)) {
    if (!allowed.has(name)) throw notSupported(`${what} ${name}`);
  }
}

function pageSize(value: string | null, max: number): number {
  if (value === null) return max;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw invalidInput(`Invalid request: maxitems must be a positive integer, got ${value}`);
  }
  return Math.min(Number(value), max);
}

function key(name: string, type: RecordType): string {
  return `${name}|${type}`;
}

function newId(prefix: 'Z' | 'C'): string {
  return prefix + [...randomBytes(20)].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}

function hostedZoneXml(zone: Zone): string {
  return (
    `<HostedZone>${element('Id', `/hostedzone/${zone.id}`)}${element('Name', zone.name)}` +
    element('CallerReference', zone.callerReference) +
    `<Config>${zone.comment !== undefined ? element('Comment', zone.comment) : ''}${element('PrivateZone', false)}</Config>` +
    `${element('ResourceRecordSetCount', zone.records.size)}</HostedZone>`
  );
}

function delegationSetXml(zone: Zone): string {
  const servers = zone.nameServers.map((ns) => element('NameServer', ns)).join('');
  return `<DelegationSet><NameServers>${servers}</NameServers></DelegationSet>`;
}

function changeInfoXml(change: Change, status: 'PENDING' | 'INSYNC'): string {
  return (
    `<ChangeInfo>${element('Id', `/change/${change.id}`)}${element('Status', status)}` +
    element('SubmittedAt', change.submittedAt.toISOString()) +
    `${change.comment !== undefined ? element('Comment', change.comment) : ''}</ChangeInfo>`
  );
}

function recordSetXml(set: RecordSet): string {
  const values = set.values.map((v) => `<ResourceRecord>${element('Value', v)}</ResourceRecord>`).join('');
  return (
    `<ResourceRecordSet>${element('Name', set.name)}${element('Type', set.type)}` +
    `${element('TTL', set.ttl)}<ResourceRecords>${values}</ResourceRecords></ResourceRecordSet>`
  );
}
