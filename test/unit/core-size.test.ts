/**
 * core/ stays small (build/code-size.ts): no file over 400 lines, no function over 60 lines or with
 * more than 5 parameters. A use case that outgrows that wants a context object and a split by
 * concern, as core/agent/sync/ shows.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CODE_SIZE_LIMITS,
  codeSizeOffenders,
  describeOffender,
  sourceOffenders,
} from '../../build/code-size.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** A function of `lines` lines in all, its signature and closing brace included. */
function aFunction(name: string, lines: number): string {
  return `export function ${name}(): number {\n  let n = 0;\n${'  n++;\n'.repeat(lines - 4)}  return n;\n}\n`;
}

describe('the size of core/', () => {
  it('has no file over 400 lines, no function over 60 lines, none with more than 5 parameters', () => {
    expect(codeSizeOffenders(ROOT, 'core').map(describeOffender)).toEqual([]);
  });

  it('reads every file and function of core/ (the check above is not vacuous)', () => {
    const everything = codeSizeOffenders(ROOT, 'core', {
      ...CODE_SIZE_LIMITS,
      maxFileLines: 0,
      maxFunctionLines: 0,
    });
    const files = new Set(everything.filter((o) => o.kind === 'file lines').map((o) => o.file));
    expect(files).toContain(join('core', 'agent', 'sync', 'sync-certificate.ts'));
    expect(files).toContain(join('core', 'keystore', 'pkcs12.ts'));
    expect(everything.some((o) => o.kind === 'function lines' && o.name === 'syncCertificate')).toBe(true);
    expect(everything.some((o) => o.kind === 'function lines' && o.name === 'DmzPusher.pushOnce')).toBe(true);
  });
});

describe('the size check can fail', () => {
  it('finds a function over 60 lines, and lets one of 60 pass', () => {
    expect(sourceOffenders('long.ts', aFunction('long', 61))).toEqual([
      { file: 'long.ts', line: 1, name: 'long', kind: 'function lines', size: 61, limit: 60 },
    ]);
    expect(sourceOffenders('fits.ts', aFunction('fits', 60))).toEqual([]);
  });

  it('finds functions, methods and arrow functions with 6 parameters, and lets 5 pass', () => {
    const source = [
      'export function six(a: number, b: number, c: number, d: number, e: number, f: number): number {',
      '  return a + b + c + d + e + f;',
      '}',
      'export const arrow = (a: number, b: number, c: number, d: number, e: number, f: number) => a + f;',
      'export class Thing {',
      '  method(a: number, b: number, c: number, d: number, e: number, f: number): number {',
      '    return a + f;',
      '  }',
      '}',
      'export function five(a: number, b: number, c: number, d: number, e: number): number {',
      '  return a + e;',
      '}',
    ].join('\n');
    expect(sourceOffenders('six.ts', source).map(describeOffender)).toEqual([
      'six.ts:1 six: 6 parameters (limit 5)',
      'six.ts:4 arrow: 6 parameters (limit 5)',
      'six.ts:6 Thing.method: 6 parameters (limit 5)',
    ]);
  });

  it('finds a file over 400 lines', () => {
    const source = `${'export const a = 1;\n'.repeat(CODE_SIZE_LIMITS.maxFileLines)}export const b = 2;\n`;
    expect(sourceOffenders('big.ts', source).map(describeOffender)).toEqual([
      'big.ts: 401 file lines (limit 400)',
    ]);
    expect(sourceOffenders('fits.ts', 'export const a = 1;\n'.repeat(400))).toEqual([]);
  });
});
