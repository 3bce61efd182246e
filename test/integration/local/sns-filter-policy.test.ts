/**
 * The filter policy rules of the SNS stand-in, case by case (pure; the SDK-level contract is in
 * sns-standin.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  matchesFilterPolicy,
  parseFilterPolicy,
  type SnsMessageAttribute,
} from '../../../local/sns-filter-policy.ts';

const s = (value: string): SnsMessageAttribute => ({ DataType: 'String', StringValue: value });
const n = (value: number): SnsMessageAttribute => ({ DataType: 'Number', StringValue: String(value) });
const list = (values: unknown[]): SnsMessageAttribute => ({
  DataType: 'String.Array',
  StringValue: JSON.stringify(values),
});

function matches(policy: unknown, attributes: Record<string, SnsMessageAttribute>): boolean {
  const parsed = parseFilterPolicy(JSON.stringify(policy));
  if (!parsed.ok) throw new Error(parsed.reason);
  return matchesFilterPolicy(parsed.policy, attributes);
}

describe('SNS filter policies', () => {
  it.each([
    ['exact string', { node: ['n1', 'n2'] }, { node: s('n2') }, true],
    ['exact string, other value', { node: ['n1'] }, { node: s('n3') }, false],
    ['missing attribute', { node: ['n1'] }, {}, false],
    ['string does not equal number', { rev: ['5'] }, { rev: n(5) }, false],
    ['exact number', { rev: [5] }, { rev: n(5) }, true],
    ['prefix', { node: [{ prefix: 'web-' }] }, { node: s('web-1') }, true],
    ['suffix', { node: [{ suffix: '-dmz' }] }, { node: s('web-1') }, false],
    ['equals-ignore-case', { node: [{ 'equals-ignore-case': 'WEB' }] }, { node: s('web') }, true],
    ['anything-but value', { env: [{ 'anything-but': 'test' }] }, { env: s('test') }, false],
    ['anything-but list', { env: [{ 'anything-but': ['test', 'dev'] }] }, { env: s('prod') }, true],
    ['anything-but needs the attribute', { env: [{ 'anything-but': ['test'] }] }, {}, false],
    ['anything-but prefix', { env: [{ 'anything-but': { prefix: 'te' } }] }, { env: s('test') }, false],
    ['exists true', { env: [{ exists: true }] }, { env: s('x') }, true],
    ['exists false', { env: [{ exists: false }] }, {}, true],
    ['exists false with attribute', { env: [{ exists: false }] }, { env: s('x') }, false],
    ['numeric range', { rev: [{ numeric: ['>', 1, '<=', 3] }] }, { rev: n(3) }, true],
    ['numeric out of range', { rev: [{ numeric: ['>', 1, '<=', 3] }] }, { rev: n(4) }, false],
    ['numeric on a string', { rev: [{ numeric: ['=', 3] }] }, { rev: s('3') }, false],
    ['String.Array any element', { groups: ['web'] }, { groups: list(['db', 'web']) }, true],
    ['String.Array no element', { groups: ['web'] }, { groups: list(['db']) }, false],
    ['all keys must match', { node: ['n1'], env: ['prod'] }, { node: s('n1'), env: s('dev') }, false],
    ['empty policy', {}, {}, true],
  ])('%s', (_name, policy, attributes, expected) => {
    expect(matches(policy, attributes)).toBe(expected);
  });

  it.each([
    ['not JSON', '{'],
    ['not an object', '["a"]'],
    ['value not an array', '{"a":"b"}'],
    ['empty array', '{"a":[]}'],
    ['nested (MessageBody scope)', '{"a":{"b":["c"]}}'],
    ['$or', '{"$or":[{"a":["b"]},{"c":["d"]}]}'],
    ['unknown operator', '{"a":[{"wildcard":"x*"}]}'],
    ['null', '{"a":[null]}'],
    ['odd numeric', '{"a":[{"numeric":[">"]}]}'],
    ['two operators in one object', '{"a":[{"prefix":"x","suffix":"y"}]}'],
  ])('refuses %s', (_name, json) => {
    expect(parseFilterPolicy(json).ok).toBe(false);
  });
});
