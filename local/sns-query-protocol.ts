/**
 * The wire format of SNS (the AWS Query protocol): form-encoded requests with flattened maps
 * (`Attributes.entry.1.key=…`), XML responses and XML errors, as @aws-sdk/client-sns v3 expects.
 */
import type { SnsMessageAttribute } from './sns-filter-policy.ts';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** An error the client sees as `<Code>` (the SDK names its exception after it) with an HTTP status. */
export class SnsApiError extends Error {
  override readonly name = 'SnsApiError';
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const invalidParameter = (message: string) => new SnsApiError('InvalidParameter', 400, message);
export const notFound = (message: string) => new SnsApiError('NotFound', 404, message);

/** A required request parameter. */
export function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') throw invalidParameter(`Invalid parameter: ${name} is required`);
  return value;
}

/** A flattened string map such as `Attributes.entry.N.key` / `Attributes.entry.N.value`. */
export function readStringMap(params: URLSearchParams, prefix: string): Map<string, string> {
  const map = new Map<string, string>();
  for (let n = 1; ; n++) {
    const key = params.get(`${prefix}.entry.${n}.key`);
    if (key === null) return map;
    map.set(key, params.get(`${prefix}.entry.${n}.value`) ?? '');
  }
}

/** Publish's `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue|BinaryValue`. */
export function readMessageAttributes(params: URLSearchParams): Record<string, SnsMessageAttribute> {
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (let n = 1; ; n++) {
    const base = `MessageAttributes.entry.${n}`;
    const name = params.get(`${base}.Name`);
    if (name === null) return attributes;
    const dataType = params.get(`${base}.Value.DataType`);
    if (!dataType)
      throw invalidParameter(`Invalid parameter: MessageAttributes ${name}: DataType is required`);
    const stringValue = params.get(`${base}.Value.StringValue`);
    const binaryValue = params.get(`${base}.Value.BinaryValue`);
    const kind = dataType.split('.')[0];
    if (kind === 'Binary') {
      if (binaryValue === null)
        throw invalidParameter(`Invalid parameter: MessageAttributes ${name}: no BinaryValue`);
      attributes[name] = { DataType: dataType, BinaryValue: Buffer.from(binaryValue, 'base64') };
      continue;
    }
    if (kind !== 'String' && kind !== 'Number') {
      throw invalidParameter(`Invalid parameter: MessageAttributes ${name}: unknown DataType ${dataType}`);
    }
    if (stringValue === null)
      throw invalidParameter(`Invalid parameter: MessageAttributes ${name}: no StringValue`);
    if (kind === 'Number' && !Number.isFinite(Number(stringValue))) {
      throw invalidParameter(`Invalid parameter: MessageAttributes ${name}: not a number`);
    }
    if (dataType === 'String.Array' && !isJsonArray(stringValue)) {
      throw invalidParameter(`Invalid parameter: MessageAttributes ${name}: String.Array needs a JSON array`);
    }
    attributes[name] = { DataType: dataType, StringValue: stringValue };
  }
}

/** A successful response; `result` is the inner XML of `<ActionResult>` (absent for empty results). */
export function xmlResponse(action: string, requestId: string, result?: string): string {
  const body = result === undefined ? '' : `<${action}Result>${result}</${action}Result>`;
  return (
    `<${action}Response xmlns="${XMLNS}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function xmlError(error: SnsApiError, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** `<name>value</name>` with the value escaped. */
export function element(name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`;
}

/** A string map as SNS returns it: `<entry><key>…</key><value>…</value></entry>…`. */
export function entries(map: ReadonlyMap<string, string>): string {
  return [...map]
    .map(([key, value]) => `<entry>${element('key', key)}${element('value', value)}</entry>`)
    .join('');
}

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}
