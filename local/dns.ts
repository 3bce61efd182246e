/**
 * The DNS stub Pebble's validation authority resolves identifiers with (`pebble -dnsserver`): every
 * name has the A record 127.0.0.1 and no AAAA record, so HTTP-01 requests for any test domain reach
 * our 127.0.0.1-only responder. An AAAA answer of ::1 would send them to a port nobody listens on.
 * `hosts` gives some names another loopback address (127.0.0.2…): a server bound there on the same
 * port is where the CA's requests for those names arrive (the demo's DMZ instance).
 *
 * With a `records` lookup (the Route 53 stand-in's), it also answers TXT and CNAME questions, so that
 * DNS-01 validation reads the `_acme-challenge` records written through the Route 53 API. Like a
 * recursive resolver, a TXT answer for a name that has a CNAME carries the CNAME chain and the TXT
 * records of its end in one response: Pebble asks once and takes every TXT record of the answer.
 * UDP only: dns2 truncates answers over 512 bytes (TC bit), about 7 DNS-01 digests on one name, and
 * Pebble does not retry over TCP.
 */
import type DNS from 'dns2';
import { createUDPServer, Packet } from 'dns2';
import { LocalStackError } from './local-stack-error.ts';
import { LOOPBACK } from './net.ts';

/** The record types the stub answers from a lookup (A is always 127.0.0.1). */
export type DnsRecordType = 'TXT' | 'CNAME';

/**
 * The values of one record set, in presentation format as Route 53 stores them: TXT values as one
 * or more quoted strings (`"a" "b"`), a CNAME value as a domain name. Names are passed as asked,
 * without the trailing dot; lookups treat them case-insensitively. No values: no such record.
 */
export type DnsRecordLookup = (name: string, type: DnsRecordType) => readonly string[];

export interface DnsStubOptions {
  /** Where TXT and CNAME answers come from; without it they are empty ("exists, no such record"). */
  readonly records?: DnsRecordLookup;
  /** A records other than 127.0.0.1, by name (compared case-insensitively). */
  readonly hosts?: Readonly<Record<string, string>>;
}

export interface DnsStub {
  readonly host: string;
  readonly port: number;
  /** `host:port`, as `pebble -dnsserver` takes it. */
  readonly address: string;
  /** Idempotent. */
  stop(): Promise<void>;
}

/** TTL of TXT and CNAME answers: they change during a test, nothing may cache them. */
const RECORD_TTL = 0;
/** CNAME chains longer than this (or looping) end the answer, as resolvers give up on them. */
const MAX_CNAME_CHAIN = 8;
const RCODE_SERVFAIL = 2;

/**
 * Starts the stub on a free UDP port of 127.0.0.1.
 * @throws LocalStackError when the socket cannot be bound
 */
export async function startDnsStub(options: DnsStubOptions = {}): Promise<DnsStub> {
  const { records } = options;
  const hosts = new Map(
    Object.entries(options.hosts ?? {}).map(([name, address]) => [name.toLowerCase(), address]),
  );
  const server = createUDPServer((request, send) => {
    const response = Packet.createResponseFromRequest(request);
    try {
      for (const question of request.questions) {
        // Other types (AAAA, CAA…) get an empty NOERROR answer: "exists, no such record".
        if (question.type === Packet.TYPE.A) {
          const address = hosts.get(question.name.toLowerCase()) ?? LOOPBACK;
          response.answers.push(Packet.createResourceFromQuestion(question, { ttl: 1, address }));
        } else if (records && question.type === Packet.TYPE.CNAME) {
          response.answers.push(...cnameAnswers(question, records));
        } else if (records && question.type === Packet.TYPE.TXT) {
          response.answers.push(...txtAnswers(question, records));
        }
      }
    } catch {
      // A lookup that throws is the zone data's fault, not the asker's: SERVFAIL, as a resolver would.
      response.answers = [];
      response.header.rcode = RCODE_SERVFAIL;
    }
    // A lost reply only makes the resolver retry; nothing to report.
    send(response).catch(() => {});
  });
  // Malformed packets must not crash the process; the stub has nobody to report them to.
  server.on('requestError', () => {});
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.bind(0, LOOPBACK, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw new LocalStackError('dns', `cannot bind a UDP port: ${(error as Error).message}`, { cause: error });
  }
  const { port } = server.address();
  let stopping: Promise<void> | undefined;
  return {
    host: LOOPBACK,
    port,
    address: `${LOOPBACK}:${port}`,
    stop: () => {
      stopping ??= new Promise((resolve) => server.close(() => resolve()));
      return stopping;
    },
  };
}

/** The CNAME record of the name itself; a CNAME question is not followed. */
function cnameAnswers(question: DNS.Packet.Question, records: DnsRecordLookup): DNS.Packet.Resource[] {
  const [target] = records(question.name, 'CNAME');
  if (target === undefined) return [];
  return [Packet.createResourceFromQuestion(question, { ttl: RECORD_TTL, domain: withoutDot(target) })];
}

/** The CNAME chain from the name (if any), then the TXT records at its end. */
function txtAnswers(question: DNS.Packet.Question, records: DnsRecordLookup): DNS.Packet.Resource[] {
  const answers: DNS.Packet.Resource[] = [];
  const seen = new Set<string>();
  let owner = question.name;
  for (let step = 0; step <= MAX_CNAME_CHAIN; step++) {
    seen.add(owner.toLowerCase());
    const [target] = records(owner, 'CNAME');
    if (target === undefined) {
      for (const value of records(owner, 'TXT')) {
        const strings = parseTxtValue(value);
        // A value the lookup should never have held is left out rather than served mangled.
        if (strings === undefined) continue;
        answers.push(
          Packet.createResourceFromQuestion(question, {
            name: owner,
            type: Packet.TYPE.TXT,
            ttl: RECORD_TTL,
            data: strings.map((s) => s.text),
          }),
        );
      }
      return answers;
    }
    const next = withoutDot(target);
    answers.push(
      Packet.createResourceFromQuestion(question, {
        name: owner,
        type: Packet.TYPE.CNAME,
        ttl: RECORD_TTL,
        domain: next,
      }),
    );
    if (seen.has(next.toLowerCase())) return answers;
    owner = next;
  }
  return answers;
}

function withoutDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** One character-string of a TXT value. */
export interface TxtCharacterString {
  /** The text, escapes resolved (bytes outside UTF-8 become U+FFFD). */
  readonly text: string;
  /** Its length on the wire; at most 255 in a valid record. */
  readonly bytes: number;
  /** Whether it was written in double quotes (Route 53 requires it). */
  readonly quoted: boolean;
}

/**
 * Splits a TXT value in presentation format into its character-strings: quoted strings (`"a b"`)
 * or bare words, separated by white space. Route 53's escapes are understood: `\"`, `\\` (any
 * escaped character stands for itself) and `\ooo`, a byte as three octal digits (Route 53 uses
 * octal where RFC 1035 zone files use decimal).
 * @returns undefined when a quote or an escape is left open
 */
export function parseTxtValue(value: string): TxtCharacterString[] | undefined {
  const strings: TxtCharacterString[] = [];
  const characters = [...value];
  let i = 0;
  while (i < characters.length) {
    const first = characters[i] ?? '';
    if (/\s/.test(first)) {
      i++;
      continue;
    }
    const quoted = first === '"';
    if (quoted) i++;
    const bytes: number[] = [];
    let closed = !quoted;
    while (i < characters.length) {
      const c = characters[i] ?? '';
      if (quoted && c === '"') {
        i++;
        closed = true;
        break;
      }
      if (!quoted && (/\s/.test(c) || c === '"')) break;
      if (c === '\\') {
        const octal = characters.slice(i + 1, i + 4).join('');
        if (/^[0-3][0-7]{2}$/.test(octal)) {
          bytes.push(Number.parseInt(octal, 8));
          i += 4;
          continue;
        }
        const escaped = characters[i + 1];
        if (escaped === undefined) return undefined;
        bytes.push(...Buffer.from(escaped, 'utf8'));
        i += 2;
        continue;
      }
      bytes.push(...Buffer.from(c, 'utf8'));
      i++;
    }
    if (!closed) return undefined;
    strings.push({ text: Buffer.from(bytes).toString('utf8'), bytes: bytes.length, quoted });
  }
  return strings;
}
