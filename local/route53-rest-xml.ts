/**
 * The wire format of Route 53 (AWS REST-XML, API version 2013-04-01) for the local stand-in: XML
 * request bodies read with fast-xml-parser, XML responses, and errors as Route 53 sends them
 * (`<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`), from which
 * @aws-sdk/client-route-53 v3 raises the exception named by `<Code>` (InvalidChangeBatch…).
 *
 * fast-xml-parser 5 (not the 3.x that s3rver pins: below 4.1.2 it lets `__proto__` tags pollute
 * prototypes): validated first, entities decoded (numeric ones too), names such as `__proto__`
 * refused. Only own properties of its result are ever read.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const ROUTE53_XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';

/** An error the client sees as `<Code>` (the SDK names its exception after it) with an HTTP status. */
export class Route53ApiError extends Error {
  override readonly name = 'Route53ApiError';
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const invalidInput = (message: string) => new Route53ApiError('InvalidInput', 400, message);
export const invalidDomainName = (message: string) => new Route53ApiError('InvalidDomainName', 400, message);
/** Route 53 lists every problem of a batch in one message: `[first, second]`. */
export const invalidChangeBatch = (messages: readonly string[]) =>
  new Route53ApiError('InvalidChangeBatch', 400, `[${messages.join(', ')}]`);
export const noSuchHostedZone = (id: string) =>
  new Route53ApiError('NoSuchHostedZone', 404, `No hosted zone found with ID: ${id}`);
/** What the stand-in leaves out, refused rather than ignored. */
export const notSupported = (what: string) =>
  invalidInput(`${what} is not supported by the local Route 53 stand-in`);

/** A parsed XML element: text, or child elements by name (repeated ones as an array). */
export type XmlValue = string | XmlElement | readonly XmlValue[];
export interface XmlElement {
  readonly [name: string]: XmlValue;
}

const PARSER = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  htmlEntities: true,
});

/**
 * The body's root element, which must be `root` (namespace prefixes ignored).
 * @throws Route53ApiError InvalidInput for XML that does not parse, MalformedInput for another root
 */
export function parseRequest(body: string, root: string): XmlElement {
  let parsed: unknown;
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw invalidInput(`Invalid XML ; ${valid.err.msg}`);
  try {
    parsed = PARSER.parse(body);
  } catch (error) {
    throw invalidInput(`Invalid XML ; ${(error as Error).message}`);
  }
  const top = isElement(parsed) ? own(parsed, root) : undefined;
  if (!isElement(top)) {
    const found = isElement(parsed) ? Object.keys(parsed)[0] : undefined;
    throw new Route53ApiError('MalformedInput', 400, `${found ?? 'Request'} is not valid, expected ${root}`);
  }
  return top;
}

export function isElement(value: unknown): value is XmlElement {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A child value, own properties only. */
export function own(element: XmlElement, name: string): XmlValue | undefined {
  return Object.hasOwn(element, name) ? element[name] : undefined;
}

/** The text of a child element that must appear at most once; undefined when absent. */
export function text(element: XmlElement, name: string): string | undefined {
  const value = own(element, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidInput(`Invalid XML ; element ${name} must hold text`);
  return value;
}

/** The text of a required child element. */
export function requiredText(element: XmlElement, name: string): string {
  const value = text(element, name);
  if (value === undefined || value === '') throw invalidInput(`Invalid XML ; ${name} is required`);
  return value;
}

/** A child element that must appear at most once; undefined when absent or empty. */
export function child(element: XmlElement, name: string): XmlElement | undefined {
  const value = own(element, name);
  if (value === undefined || value === '') return undefined;
  if (!isElement(value)) throw invalidInput(`Invalid XML ; element ${name} must appear once, with elements`);
  return value;
}

/** Every occurrence of a repeated child element. */
export function children(element: XmlElement, name: string): XmlElement[] {
  const value = own(element, name);
  if (value === undefined) return [];
  const list: readonly XmlValue[] = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    if (!isElement(item)) throw invalidInput(`Invalid XML ; element ${name} must hold elements`);
    return item;
  });
}

/** The document of a successful response: `<root xmlns=…>inner</root>`. */
export function xmlDocument(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${ROUTE53_XMLNS}">${inner}</${root}>`;
}

export function xmlError(error: Route53ApiError, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<?xml version="1.0"?>\n<ErrorResponse xmlns="${ROUTE53_XMLNS}"><Error><Type>${type}</Type>` +
    `${element('Code', error.code)}${element('Message', error.message)}</Error>` +
    `${element('RequestId', requestId)}</ErrorResponse>`
  );
}

/** `<name>value</name>` with the value escaped. */
export function element(name: string, value: string | number | boolean): string {
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
