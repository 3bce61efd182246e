/**
 * SNS subscription filter policies on message attributes (FilterPolicyScope `MessageAttributes`),
 * for the SNS stand-in. Covered: exact strings and numbers, `prefix`, `suffix`,
 * `equals-ignore-case`, `anything-but` (values or `{ prefix }`), `exists`, `numeric` ranges, and
 * String.Array attributes (a match on any element). Left out, and refused at subscribe time rather
 * than silently mismatched: `$or`, nested (message body) policies, `null`, `cidr`, `wildcard`.
 */

/** A message attribute as SNS's Publish takes it. */
export interface SnsMessageAttribute {
  /** `String`, `Number`, `Binary` or `String.Array`, optionally with a custom `.suffix`. */
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Uint8Array;
}

type NumericOperator = '=' | '<' | '<=' | '>' | '>=';

type Condition =
  | { readonly kind: 'exact'; readonly value: string | number }
  | { readonly kind: 'prefix' | 'suffix' | 'equals-ignore-case'; readonly value: string }
  | { readonly kind: 'anything-but'; readonly values: readonly (string | number)[] }
  | { readonly kind: 'anything-but-prefix'; readonly value: string }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'numeric'; readonly ranges: readonly (readonly [NumericOperator, number])[] };

/** A parsed policy: attribute name → conditions, any of which may match. */
export type FilterPolicy = ReadonlyMap<string, readonly Condition[]>;

export type FilterPolicyParse =
  | { readonly ok: true; readonly policy: FilterPolicy }
  | { readonly ok: false; readonly reason: string };

const NUMERIC_OPERATORS: readonly string[] = ['=', '<', '<=', '>', '>='];

/** Parses and checks a FilterPolicy attribute value; an empty object matches every message. */
export function parseFilterPolicy(json: string): FilterPolicyParse {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  if (!isObject(document)) return { ok: false, reason: 'must be a JSON object' };
  const policy = new Map<string, Condition[]>();
  for (const [name, rule] of Object.entries(document)) {
    if (name === '$or') return { ok: false, reason: '"$or" is not supported by the local SNS stand-in' };
    if (!Array.isArray(rule)) {
      return {
        ok: false,
        reason: `"${name}" must be an array (nested policies need FilterPolicyScope MessageBody, which the local SNS stand-in does not support)`,
      };
    }
    if (rule.length === 0) return { ok: false, reason: `"${name}" has no values` };
    const conditions: Condition[] = [];
    for (const item of rule) {
      const condition = parseCondition(item);
      if (typeof condition === 'string') return { ok: false, reason: `"${name}": ${condition}` };
      conditions.push(condition);
    }
    policy.set(name, conditions);
  }
  return { ok: true, policy };
}

/** Whether a message with these attributes passes the policy (every named attribute must match). */
export function matchesFilterPolicy(
  policy: FilterPolicy,
  attributes: Readonly<Record<string, SnsMessageAttribute>>,
): boolean {
  for (const [name, conditions] of policy) {
    const attribute = attributes[name];
    if (!conditions.some((condition) => matchesCondition(condition, attribute))) return false;
  }
  return true;
}

/** A condition, or the reason it is refused. */
function parseCondition(item: unknown): Condition | string {
  if (typeof item === 'string' || typeof item === 'number') return { kind: 'exact', value: item };
  if (!isObject(item)) return `unsupported value ${JSON.stringify(item)}`;
  const entries = Object.entries(item);
  const [entry] = entries;
  if (!entry || entries.length !== 1)
    return `an operator object takes exactly one key: ${JSON.stringify(item)}`;
  const [operator, operand] = entry;
  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      return typeof operand === 'string'
        ? { kind: operator, value: operand }
        : `"${operator}" takes a string`;
    case 'exists':
      return typeof operand === 'boolean'
        ? { kind: 'exists', value: operand }
        : '"exists" takes true or false';
    case 'anything-but': {
      if (isObject(operand) && typeof operand.prefix === 'string') {
        return { kind: 'anything-but-prefix', value: operand.prefix };
      }
      const values = Array.isArray(operand) ? operand : [operand];
      if (values.length === 0 || !values.every((v) => typeof v === 'string' || typeof v === 'number')) {
        return '"anything-but" takes strings, numbers or { "prefix": … }';
      }
      return { kind: 'anything-but', values: values as (string | number)[] };
    }
    case 'numeric': {
      if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
        return '"numeric" takes operator/number pairs';
      }
      const ranges: [NumericOperator, number][] = [];
      for (let i = 0; i < operand.length; i += 2) {
        const op: unknown = operand[i];
        const value: unknown = operand[i + 1];
        if (typeof op !== 'string' || !NUMERIC_OPERATORS.includes(op) || typeof value !== 'number') {
          return `"numeric" takes operator/number pairs, not ${JSON.stringify(operand)}`;
        }
        ranges.push([op as NumericOperator, value]);
      }
      return { kind: 'numeric', ranges };
    }
    default:
      return `operator "${operator}" is not supported by the local SNS stand-in`;
  }
}

/** The values a condition is tested against; strings and numbers keep their type. */
function valuesOf(attribute: SnsMessageAttribute): (string | number)[] {
  const base = attribute.DataType.split('.')[0];
  const text = attribute.StringValue ?? '';
  if (attribute.DataType === 'String.Array') {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) {
        return parsed.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
      }
    } catch {
      // Publish already refused arrays that are not JSON.
    }
    return [];
  }
  if (base === 'Number') return [Number(text)];
  if (base === 'String') return [text];
  return []; // Binary attributes only take part in "exists".
}

function matchesCondition(condition: Condition, attribute: SnsMessageAttribute | undefined): boolean {
  if (condition.kind === 'exists') return condition.value === (attribute !== undefined);
  if (attribute === undefined) return false;
  const values = valuesOf(attribute);
  switch (condition.kind) {
    case 'exact':
      return values.some((v) => v === condition.value);
    case 'prefix':
      return values.some((v) => typeof v === 'string' && v.startsWith(condition.value));
    case 'suffix':
      return values.some((v) => typeof v === 'string' && v.endsWith(condition.value));
    case 'equals-ignore-case':
      return values.some((v) => typeof v === 'string' && v.toLowerCase() === condition.value.toLowerCase());
    case 'anything-but':
      return values.some((v) => !condition.values.includes(v));
    case 'anything-but-prefix':
      return values.some((v) => typeof v === 'string' && !v.startsWith(condition.value));
    case 'numeric':
      return values.some(
        (v) => typeof v === 'number' && condition.ranges.every(([op, n]) => compare(v, op, n)),
      );
  }
}

function compare(value: number, operator: NumericOperator, operand: number): boolean {
  switch (operator) {
    case '=':
      return value === operand;
    case '<':
      return value < operand;
    case '<=':
      return value <= operand;
    case '>':
      return value > operand;
    case '>=':
      return value >= operand;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
