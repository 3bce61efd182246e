/**
 * Names and record values of the local Route 53 stand-in, checked the way Route 53 checks them.
 * Names are case-insensitive and kept as Route 53 returns them: lower case, with the trailing dot.
 */
import { parseTxtValue } from './dns.ts';
import { invalidDomainName, invalidInput, notSupported } from './route53-rest-xml.ts';

/** Record types the stand-in writes; SOA and NS exist only as the read-only records of a new zone. */
export type WritableType = 'TXT' | 'CNAME';
export type RecordType = WritableType | 'SOA' | 'NS';

export interface RecordSet {
  /** Lower case, trailing dot. */
  readonly name: string;
  readonly type: RecordType;
  readonly ttl: number;
  /** As written (presentation format); Route 53 returns them unchanged. */
  readonly values: readonly string[];
}

/** Types Route 53 has and the stand-in refuses (rather than failing with an unknown type). */
const ROUTE53_TYPES = new Set([
  'A',
  'AAAA',
  'CAA',
  'DS',
  'HTTPS',
  'MX',
  'NAPTR',
  'NS',
  'PTR',
  'SOA',
  'SPF',
  'SRV',
  'SSHFP',
  'SVCB',
  'TLSA',
]);

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const MAX_TTL = 2_147_483_647;
const MAX_CHARACTER_STRING = 255;

/**
 * A domain name as Route 53 keeps it, or undefined when it is not one. The stand-in takes letters,
 * digits, `-` and `_` (Route 53 also takes other characters as `\ooo` escapes, and `*`).
 */
export function canonicalName(name: string): string | undefined {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '' || trimmed.length > 253) return undefined;
  const labels = trimmed.toLowerCase().split('.');
  return labels.every((label) => LABEL.test(label)) ? `${labels.join('.')}.` : undefined;
}

/** The canonical name of a hosted zone or a `dnsname` parameter. @throws InvalidDomainName */
export function zoneName(name: string): string {
  const canonical = canonicalName(name);
  if (!canonical) {
    throw invalidDomainName(`${name} is not a valid domain name for the local Route 53 stand-in`);
  }
  return canonical;
}

/** The canonical name of a record set. @throws InvalidInput */
export function recordName(name: string): string {
  if (name.includes('*')) throw notSupported(`The wildcard record name ${name}`);
  if (name.includes('\\')) throw notSupported(`The escaped record name ${name}`);
  const canonical = canonicalName(name);
  if (!canonical) throw invalidInput(`Invalid request: ${name} is not a valid DNS name`);
  return canonical;
}

export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/**
 * The order of Route 53 listings: the name with its labels reversed and the trailing dot kept
 * (`com.example.www.`), compared as a string, then the type.
 */
export function sortKey(name: string): string {
  return `${name.slice(0, -1).split('.').reverse().join('.')}.`;
}

/** Route 53's listing order; a type of '' sorts before every type of the name. */
export function compareRecordSets(
  a: { readonly name: string; readonly type: string },
  b: { readonly name: string; readonly type: string },
): number {
  return compareStrings(sortKey(a.name), sortKey(b.name)) || compareStrings(a.type, b.type);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The type of a change. @throws InvalidInput for types other than TXT and CNAME */
export function writableType(type: string): WritableType {
  if (type === 'TXT' || type === 'CNAME') return type;
  if (ROUTE53_TYPES.has(type)) throw notSupported(`Record type ${type} (TXT and CNAME only)`);
  throw invalidInput(`Invalid XML ; the value '${type}' of element Type is not a valid RRType`);
}

/** @throws InvalidInput */
export function ttlOf(text: string | undefined, where: string): number {
  if (text === undefined) {
    throw invalidInput(
      `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in ${where}`,
    );
  }
  const ttl = Number(text);
  if (!/^\d+$/.test(text) || ttl > MAX_TTL) {
    throw invalidInput(`Invalid XML ; the value '${text}' of element TTL is not a valid TTL`);
  }
  return ttl;
}

/**
 * Problems of the values of one TXT or CNAME record set, as InvalidChangeBatch messages; none when
 * it is valid.
 */
export function valueProblems(name: string, type: WritableType, values: readonly string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    const problem = type === 'TXT' ? txtProblem(value) : cnameProblem(value);
    if (problem) {
      problems.push(`Invalid Resource Record: 'FATAL problem: ${problem} encountered with '${value}''`);
      continue;
    }
    const key = comparable(type, value);
    if (seen.has(key)) problems.push(`Duplicate Resource Record: '${value}'`);
    seen.add(key);
  }
  if (type === 'CNAME' && values.length > 1) {
    problems.push(`RRSet of type CNAME with DNS name ${name} contains more than one value`);
  }
  return problems;
}

function txtProblem(value: string): string | undefined {
  const strings = parseTxtValue(value);
  if (!strings || strings.length === 0 || strings.some((s) => !s.quoted)) {
    return 'InvalidCharacterString (Value should be enclosed in quotation marks)';
  }
  if (strings.some((s) => s.bytes > MAX_CHARACTER_STRING))
    return 'CharacterStringTooLong (Value is too long)';
  return undefined;
}

function cnameProblem(value: string): string | undefined {
  return canonicalName(value) ? undefined : 'DomainNameInvalid (The domain name is not valid)';
}

/**
 * A value as Route 53 compares it (a DELETE must match the current values): TXT by its
 * character-strings, CNAME by its name.
 */
export function comparable(type: RecordType, value: string): string {
  if (type === 'TXT') return JSON.stringify(parseTxtValue(value)?.map((s) => s.text) ?? value);
  if (type === 'CNAME') return canonicalName(value) ?? value;
  return value;
}

/** Whether a DELETE names exactly the current record set: same TTL, same values. */
export function sameRecordSet(current: RecordSet, deleted: RecordSet): boolean {
  if (current.ttl !== deleted.ttl || current.values.length !== deleted.values.length) return false;
  const values = (set: RecordSet) => set.values.map((v) => comparable(set.type, v)).sort();
  const a = values(current);
  const b = values(deleted);
  return a.every((value, i) => value === b[i]);
}
